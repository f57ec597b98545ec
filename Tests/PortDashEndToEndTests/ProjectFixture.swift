import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// A project in a temporary directory, its own state file, its own (empty)
/// user config directory, and a port range no other test uses.
final class ProjectFixture {
    let dir = TestSupport.temporaryDirectory("portdash-project")
    let range: PortRange
    var state: String { dir + "/state/leases.json" }
    /// PORTDASH_SUPERVISION for every command (nil: auto).
    var supervision: String?
    /// More variables for every command (PATH with a stand-in tool).
    var extraEnvironment: [String: String] = [:]
    var environment: [String: String] {
        // The longest lock wait there is: the fixture's commands never fail for a lock a slow machine held long.
        var e = ["PORTDASH_STATE": state, "XDG_CONFIG_HOME": dir + "/config", "NO_COLOR": "1", "XDG_RUNTIME_DIR": dir + "/run",
                 "PORTDASH_LOCK_TIMEOUT": "600"]
        if let supervision { e["PORTDASH_SUPERVISION"] = supervision }
        return e.merging(extraEnvironment) { _, b in b }
    }

    init(ports: Int = 8, supervision: String? = nil) {
        range = TestSupport.freeRange(count: ports)
        self.supervision = supervision
        mkdir(dir + "/run", 0o700)
    }

    deinit { TestSupport.removeTree(dir) }

    /// A file in the project (or `at` another directory).
    func write(_ name: String, _ text: String, at base: String? = nil) {
        TestSupport.writeFile((base ?? dir) + "/" + name, text)
    }

    /// `portdash VERB --range … ARGS` run in `directory` (default: the project).
    @discardableResult
    func portdash(_ args: [String], in directory: String? = nil) -> (status: Int32, stdout: String, stderr: String) {
        let argv = [TestSupport.portdashBinary, args[0], "--range", "\(range.first)-\(range.last)"] + args.dropFirst()
        return TestSupport.runCommand(argv, environment: environment, directory: directory ?? dir)
    }

    /// `portdash up ARGS` in the background, as a shell's foreground job
    /// (its own process group), its output in a file. Unless the test sets
    /// --timeout, services get 600 s to listen: up's 30 s is a window a
    /// machine twenty times oversubscribed can miss, and no test but the
    /// one about the timeout is about it.
    func up(_ args: [String] = [], in directory: String? = nil, log: String = "up.log", stdout: Int32? = nil) -> UpProcess {
        let logPath = dir + "/" + log
        let timeout = args.contains("--timeout") ? [] : ["--timeout", "600"]
        let argv = [TestSupport.portdashBinary, "up", "--range", "\(range.first)-\(range.last)"] + timeout + args
        let child = ChildProcess(argv, environment: environment, inherit: stdout.map { [1: $0] } ?? [:], directory: directory ?? dir,
                                 outputFile: logPath, newProcessGroup: true)
        return UpProcess(child: child, logPath: logPath)
    }

    func book() -> LeaseBook { (try? LeaseStore(path: state).load()) ?? LeaseBook() }

    /// The test server every service runs: prints the variables named in
    /// $SHOW, connects once to the port in $CHECK (which must listen
    /// already), waits $DELAY seconds, then listens on $PORT until stopped.
    static let server = """
        import os, socket, sys, time
        check = os.environ.get("CHECK")
        if check:
            socket.create_connection(("127.0.0.1", int(os.environ[check])), timeout=5).close()
            print("reached " + check, flush=True)
        for name in os.environ.get("SHOW", "").split():
            print(name + "=" + os.environ.get(name, "<unset>"), flush=True)
        time.sleep(float(os.environ.get("DELAY", "0")))
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(os.environ["PORT"])))
        s.listen()
        print("listening on " + os.environ["PORT"], flush=True)
        while True:
            time.sleep(1)

        """
}

/// A running `portdash up`.
final class UpProcess {
    let child: ChildProcess
    let logPath: String

    init(child: ChildProcess, logPath: String) { self.child = child; self.logPath = logPath }

    var log: String { TestSupport.readFile(logPath).map { String(decoding: $0, as: UTF8.self) } ?? "" }

    /// Waits until the log holds `text`; records the log if it never does.
    @discardableResult
    func waitFor(_ text: String, seconds: Double = 120) -> Bool {
        let ok = waitUntil(seconds: seconds) { self.log.contains(text) || self.child.hasExited }
        if !log.contains(text) { Issue.record("no \"\(text)\" in up's output:\n\(log)") }
        return ok && log.contains(text)
    }

    /// Ctrl-C as a terminal sends it: SIGINT to the foreground process group.
    func interrupt() { kill(-child.pid, SIGINT) }

    func wait() -> Int32 { child.wait() }
}

extension ProjectFixture {
    struct LeasesJSON: Decodable {
        struct Owner: Decodable { let pid: Int32 }
        struct Project: Decodable { let root: String; let name: String; let portName: String? }
        struct L: Decodable { let service: String; let port: UInt16; let status: String; let label: String; let owner: Owner?; let project: Project? }
        let leases: [L]
    }

    /// `leases --json`, decoded.
    func leases() throws -> [LeasesJSON.L] {
        let r = portdash(["leases", "--json"])
        #expect(r.status == 0, "\(r.stderr)")
        return try JSONDecoder().decode(LeasesJSON.self, from: Data(r.stdout.utf8)).leases
    }

    /// The value printed as NAME=value by the test server, from a log.
    static func shown(_ name: String, in log: String) -> String? {
        log.split(separator: "\n").lazy.compactMap { line -> String? in
            guard let r = line.firstRange(of: " | " + name + "=") else { return nil }
            return String(line[r.upperBound...])
        }.first
    }
}

/// Is any process of these pids or process groups still alive?
func anyAlive(pids: [Int32], groups: [Int32]) -> Bool {
    pids.contains { kill($0, 0) == 0 } || groups.contains { killpg($0, 0) == 0 }
}
