import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// The real binary in a real terminal: tmux runs it, send-keys types, and
/// capture-pane reads the screen, as a person would use it. Each test has its
/// own tmux server (-L) so tests never see each other's panes.
final class TmuxSession {
    let socket: String
    let exitFile: String

    init(command: [String], environment: [String: String], width: Int = 120, height: Int = 32) throws {
        socket = "portdash-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        exitFile = TestSupport.temporaryDirectory() + "/exit"
        let env = environment.map { "\($0.key)='\($0.value)'" }.joined(separator: " ")
        let cmd = command.map { "'\($0)'" }.joined(separator: " ")
        let shell = "env LANG=C.UTF-8 TERM=xterm-256color \(env) \(cmd); echo $? > '\(exitFile)'; echo EXITED; sleep 600"
        let r = TestSupport.runCommand(["tmux", "-L", socket, "-f", "/dev/null", "new-session", "-d", "-s", "T",
                                        "-x", String(width), "-y", String(height), shell])
        guard r.status == 0 else { throw TmuxError.failed("tmux new-session: \(r.stderr)") }
    }

    enum TmuxError: Error { case failed(String) }

    func keys(_ keys: String...) {
        TestSupport.runCommand(["tmux", "-L", socket, "send-keys", "-t", "T"] + keys)
    }

    /// Pastes `text` as a terminal does: `paste-buffer -p` wraps it in
    /// ESC[200~ … ESC[201~ when the program asked for bracketed paste (and
    /// turns each newline into a carriage return, as a terminal sends Enter).
    /// The window resized, as a person drags a terminal's corner.
    func resize(width: Int, height: Int) {
        TestSupport.runCommand(["tmux", "-L", socket, "resize-window", "-t", "T", "-x", String(width), "-y", String(height)])
    }

    func paste(_ text: String) {
        let file = TestSupport.temporaryDirectory() + "/paste"
        TestSupport.writeFile(file, text)
        TestSupport.runCommand(["tmux", "-L", socket, "load-buffer", file])
        TestSupport.runCommand(["tmux", "-L", socket, "paste-buffer", "-p", "-d", "-t", "T"])
        TestSupport.removeTree(String(file.dropLast("/paste".count)))
    }

    /// Types literally (a service name).
    func type(_ text: String) {
        TestSupport.runCommand(["tmux", "-L", socket, "send-keys", "-t", "T", "-l", text])
    }

    var screen: String { TestSupport.runCommand(["tmux", "-L", socket, "capture-pane", "-p", "-t", "T"]).stdout }

    /// Waits until the screen satisfies `condition`, polling; never a fixed sleep.
    @discardableResult
    func waitFor(_ what: String, seconds: Double = 120, _ condition: (String) -> Bool) -> Bool {
        let ok = waitUntil(seconds: seconds) { condition(self.screen) }
        if !ok { Issue.record("timed out waiting for \(what); screen:\n\(screen)") }
        return ok
    }

    func waitFor(text: String, seconds: Double = 120) -> Bool { waitFor("\"\(text)\"", seconds: seconds) { $0.contains(text) } }

    /// The line of the screen that starts with `port`.
    func row(_ port: UInt16) -> String { screen.split(separator: "\n").first { $0.hasPrefix(String(port)) }.map(String.init) ?? "" }

    var exitStatus: Int32? {
        guard let b = TestSupport.readFile(exitFile) else { return nil }
        return Int32(String(decoding: b, as: UTF8.self).split(separator: "\n").first ?? "")
    }

    /// The pane's terminal (/dev/pts/N).
    var tty: String {
        String(TestSupport.runCommand(["tmux", "-L", socket, "display-message", "-p", "-t", "T", "#{pane_tty}"]).stdout.prefix { $0 != "\n" })
    }

    var panePid: Int32? {
        Int32(TestSupport.runCommand(["tmux", "-L", socket, "display-message", "-p", "-t", "T", "#{pane_pid}"]).stdout.split(separator: "\n").first ?? "")
    }

    deinit { TestSupport.runCommand(["tmux", "-L", socket, "kill-server"]) }
}

/// A dashboard test's own state file (in its own temp dir) and a way to
/// start the real binary on it in tmux.
struct TmuxDashboard {
    let dir = TestSupport.temporaryDirectory()
    var state: String { dir + "/leases.json" }

    func start(_ range: PortRange, width: Int = 120, height: Int = 32, env: [String: String] = [:]) throws -> TmuxSession {
        var e = env
        e["PORTDASH_STATE"] = state
        return try TmuxSession(command: [TestSupport.portdashBinary, "--range", "\(range.first)-\(range.last)"],
                               environment: e, width: width, height: height)
    }

    /// A `sleep` holding a listener on `port`, and the dashboard on `range`
    /// once it shows that listener's pid.
    func startWithListener(_ range: PortRange, on port: UInt16, width: Int = 120) throws -> (TmuxSession, ChildProcess) {
        let child = try ChildProcess.listening(on: port)
        let t = try start(range, width: width)
        t.waitFor("the listener's row") { _ in t.row(port).contains(String(child.pid)) }
        return (t, child)
    }

    func book() -> LeaseBook { (try? LeaseStore(path: state).load()) ?? LeaseBook() }

    /// `portdash ARGS --range …` on this state file, as from another terminal.
    @discardableResult
    func cli(_ args: [String], _ range: PortRange) -> (status: Int32, stdout: String, stderr: String) {
        TestSupport.runCommand([TestSupport.portdashBinary] + args + ["--range", "\(range.first)-\(range.last)"],
                               environment: ["PORTDASH_STATE": state])
    }
}
