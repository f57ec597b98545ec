import Testing
import PortKitTestSupport
import PortKit
import Glibc

@Suite("The dashboard in tmux", .blocking, .serialized)
struct DashboardTmuxTests {
    let fixture = TmuxDashboard()
    var state: String { fixture.state }

    func start(_ range: PortRange, width: Int = 120, height: Int = 32, env: [String: String] = [:]) throws -> TmuxSession {
        try fixture.start(range, width: width, height: height, env: env)
    }

    func book() -> LeaseBook { fixture.book() }

    @Test("see a foreign listener, reserve, release, kill it, quit: all by keys")
    func wholeStory() throws {
        let range = TestSupport.freeRange(count: 6)
        let listenerPort = range.first + 2
        let child = try ChildProcess.listening(on: listenerPort)
        let t = try start(range)

        // The foreign listener with its pid and name.
        t.waitFor("the listener's row") { _ in t.row(listenerPort).contains("foreign") && t.row(listenerPort).contains(String(child.pid)) }
        #expect(t.row(listenerPort).contains("sleep"))
        #expect(t.row(range.first).contains("free"))
        #expect(t.screen.contains("\(range.first)-\(range.last)"))

        // r + a name reserves the selected (first, free) port.
        t.keys("r")
        #expect(t.waitFor(text: "Reserve \(range.first) for service:"))
        t.type("web")
        // Enter only once the name is on screen: typed ahead with it, Enter is refused.
        #expect(t.waitFor(text: "Reserve \(range.first) for service: web"))
        t.keys("Enter")
        t.waitFor("the reservation") { _ in t.row(range.first).contains("ours") && t.row(range.first).contains("web") }
        #expect(book().lease(on: range.first)?.service == "web")
        #expect(book().lease(on: range.first)?.kind == .reservation)

        // d releases it.
        t.keys("d")
        t.waitFor("the release") { _ in t.row(range.first).contains("free") }
        #expect(book().leases.isEmpty)
        #expect(t.screen.contains("released \(range.first)"))

        // Select the listener (two rows down), x, y: it is killed and the row turns free.
        t.keys("j", "j", "x")
        #expect(t.waitFor(text: "Kill what holds port \(listenerPort)?"))
        #expect(t.screen.contains("pid \(child.pid)  sleep"))
        // y counts once the box is armed (on screen, input quiet): it says so.
        #expect(t.waitFor(text: "y: kill it"))
        t.keys("y")
        t.waitFor("the kill") { _ in t.row(listenerPort).contains("free") }
        #expect(child.wait() == 128 + SIGTERM)
        // A periodic scan may show the port free before the kill reports back.
        #expect(t.waitFor(text: "exited after SIGTERM"))

        // q quits with status 0 and gives the terminal back.
        t.keys("q")
        t.waitFor("the exit") { $0.contains("EXITED") }
        #expect(t.exitStatus == 0)
        #expect(!t.screen.contains("Enter Details"))
    }

    @Test("d on a lease a running process holds asks first, naming it; n keeps it, y releases it")
    func releaseAsksFirst() throws {
        let range = TestSupport.freeRange(count: 3)
        let run = ChildProcess([TestSupport.portdashBinary, "run", "web", "--range", "\(range.first)-\(range.last)", "--",
                                "python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"],
                               environment: ["PORTDASH_STATE": state], outputFile: fixture.dir + "/run.log")
        defer { run.signal(SIGTERM); _ = run.wait() }
        let port = range.first
        #expect(waitUntil { fixture.cli(["wait", String(port), "--timeout", "1"], range).status == 0 })
        let server = try #require(book().lease(on: port)?.owner?.pid)
        let t = try start(range, width: 160)
        t.waitFor("the service's row") { _ in t.row(port).contains("web") && t.row(port).contains("python3") }
        t.keys("d")
        #expect(t.waitFor(text: "Release \(port) (web)? python3 (pid \(server)) holds it and runs on without its lease"))
        t.keys("n")
        #expect(t.waitFor(text: "release cancelled; web keeps \(port)"))
        #expect(book().lease(on: port)?.service == "web")
        t.keys("d")
        #expect(t.waitFor(text: "Release \(port) (web)?"))
        t.keys("y")
        #expect(t.waitFor(text: "released \(port) (web)"))
        #expect(book().lease(on: port) == nil)
        t.keys("q")
    }

    @Test("help from the key table, details on Enter, Esc cancels a prompt, resize keeps working")
    func helpDetailsResize() throws {
        let range = TestSupport.freeRange(count: 3)
        let l = try Listener(port: range.first)
        let t = try start(range, width: 80, height: 24)
        t.waitFor("the first scan") { $0.contains("scanned") }
        t.keys("?")
        #expect(t.waitFor(text: "portdash keys"))
        for b in ["select the row above", "kill it (asks first)", "quit", "view: pool / every listener"] { #expect(t.screen.contains(b)) }
        t.keys("Space")
        t.waitFor("the list again") { $0.contains("PORT") }
        t.keys("Enter")
        #expect(t.waitFor(text: "\(range.first) details"))
        #expect(t.screen.contains("pid \(getpid())"))
        t.keys("r")
        t.type("abc")
        t.keys("Escape")
        #expect(t.waitFor(text: "reserve cancelled"))
        #expect(book().leases.isEmpty)
        // Smaller than the minimum, then back: no crash, the list returns.
        TestSupport.runCommand(["tmux", "-L", t.socket, "resize-window", "-t", "T", "-x", "30", "-y", "6"])
        #expect(t.waitFor(text: "terminal too small"))
        TestSupport.runCommand(["tmux", "-L", t.socket, "resize-window", "-t", "T", "-x", "140", "-y", "40"])
        t.waitFor("the wide layout") { $0.contains("ADDRESS") }
        t.keys("F10")
        t.waitFor("the exit") { $0.contains("EXITED") }
        #expect(t.exitStatus == 0)
        _ = l
    }

    @Test("SIGTERM: the dashboard leaves the terminal clean and exits 143; leases from another terminal show up")
    func sigtermAndOutsideLeases() throws {
        let range = TestSupport.freeRange(count: 3)
        let t = try start(range)
        t.waitFor("the first scan") { $0.contains("scanned") }
        // A lease made from "another terminal" appears at the next refresh.
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "reserve", String(range.last), "db", "--range", "\(range.first)-\(range.last)"],
                                       environment: ["PORTDASH_STATE": state])
        #expect(r.status == 0)
        t.waitFor("the outside reservation") { _ in t.row(range.last).contains("ours") && t.row(range.last).contains("db") }
        #expect(t.screen.contains("\(range.last) reserved for db"))
        let pids = TestSupport.runCommand(["pgrep", "-f", "--", "\(TestSupport.portdashBinary) --range \(range.first)-\(range.last)"]).stdout
        let pid = try #require(Int32(pids.split(separator: "\n").first ?? ""))
        kill(pid, SIGTERM)
        t.waitFor("the exit") { $0.contains("EXITED") }
        #expect(t.exitStatus == 143)
        #expect(!t.screen.contains("PORT  STATE"))
        // Bracketed paste is off again after a signal too: a paste is plain text.
        t.paste("after-sigterm")
        #expect(t.waitFor(text: "after-sigterm"))
        #expect(!t.screen.contains("[200~"))
    }
}
