import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// The most common loop of all: load a page, Ctrl-C, start again. The
/// server closed the page's connection first, so its port has a TIME_WAIT;
/// servers bind with SO_REUSEADDR, so the port is still theirs to take.
@Suite("a quick restart keeps the port (TIME_WAIT)", .blocking)
struct QuickRestartTests {
    static let rounds = 10
    /// Python's http.server: HTTP/1.0, it closes each connection after the response.
    static let httpServer = ["python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"]

    /// GET / answered, then the TIME_WAIT that answer left on the server's port (checked: else the round proves nothing).
    func answerOnce(_ port: UInt16, round: Int) -> Bool {
        guard HTTPTestClient.get(port: port, "/", seconds: 120)?.status == 200 else {
            Issue.record("round \(round): no HTTP answer on \(port)")
            return false
        }
        guard waitUntil(seconds: 120, { TimeWait.count(on: port) > 0 }) else {
            Issue.record("round \(round): no TIME_WAIT on \(port) after the request")
            return false
        }
        return true
    }

    @Test("up: a server that answered a request, stopped with Ctrl-C and started again at once, gets its port back 10 times of 10")
    func upRestart() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", """
            [services.api]
            command = "exec \(Self.httpServer.joined(separator: " "))"

            """)
        var ports: [UInt16] = []
        for round in 1...Self.rounds {
            let up = f.up(log: "up\(round).log")
            guard up.waitFor("api is ready", seconds: 120) else { up.interrupt(); _ = up.wait(); return }
            let port = try #require(try f.leases().first { $0.service == "api" }?.port)
            ports.append(port)
            let answered = answerOnce(port, round: round)
            up.interrupt()
            #expect(up.wait() == 128 + SIGINT)
            #expect(!up.log.contains("skipped"), "round \(round): \(up.log)")
            guard answered else { return }
        }
        #expect(ports.count == Self.rounds && Set(ports).count == 1, "ports over \(Self.rounds) restarts: \(ports)")
    }

    @Test("run: a server that answered a request, stopped with Ctrl-C and run again at once, gets its port back 10 times of 10")
    func runRestart() throws {
        let f = ProjectFixture()
        var ports: [UInt16] = []
        for round in 1...Self.rounds {
            let log = f.dir + "/run\(round).log"
            let argv = [TestSupport.portdashBinary, "run", "--range", "\(f.range.first)-\(f.range.last)", "api", "--"] + Self.httpServer
            let run = ChildProcess(argv, environment: f.environment, directory: f.dir, outputFile: log, newProcessGroup: true)
            var port: UInt16?
            let listening = waitUntil(seconds: 120) {
                port = f.book().leases.first { $0.service == "api" }?.port
                guard let port else { return false }
                let table = try? SockDiagSource(states: SockDiagSource.listenOnly).sockets(in: PortRange(uncheckedFirst: port, last: port))
                return table?.contains { $0.state == .listen } == true
            }
            guard listening, let port else {
                Issue.record("round \(round): api never listened")
                return
            }
            ports.append(port)
            let answered = answerOnce(port, round: round)
            kill(-run.pid, SIGINT)  // Ctrl-C: the whole foreground group
            _ = run.wait()
            let text = TestSupport.readFile(log).map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(!text.contains("skipped"), "round \(round): \(text)")
            guard answered else { return }
        }
        #expect(ports.count == Self.rounds && Set(ports).count == 1, "ports over \(Self.rounds) runs: \(ports)")
    }

    @Test("lease: a port with only TIME_WAITs left is granted, without a skipped line")
    func leaseTakesTimeWaitPort() throws {
        let f = ProjectFixture(ports: 1)
        try #require(TimeWait.leave(on: f.range.first, reuseAddress: true), "no TIME_WAIT on \(f.range.first): this test would prove nothing")
        let r = f.portdash(["lease", "other"])
        #expect(r.status == 0 && r.stdout == "\(f.range.first)\n", "\(r)")
        #expect(!r.stderr.contains("skipped"), "\(r.stderr)")
        // status and wait --free agree: the port is free.
        #expect(f.portdash(["release", "other"]).status == 0)
        #expect(f.portdash(["status", "--json"]).stdout.contains("\"port\":\(f.range.first),\"state\":\"free\""))
        #expect(f.portdash(["wait", String(f.range.first), "--free", "--timeout", "0"]).status == 0)
    }

    @Test("kill after a request: the port is free (the TIME_WAITs left are no holder), and wait --free agrees")
    func killLeavesFree() throws {
        let f = ProjectFixture(ports: 1)
        let port = f.range.first
        let argv = Self.httpServer.map { $0 == "{port}" ? String(port) : $0 }
        let server = ChildProcess(argv)
        try #require(waitUntil(seconds: 120) { HTTPTestClient.get(port: port, "/", seconds: 120)?.status == 200 })
        try #require(waitUntil { TimeWait.count(on: port) > 0 }, "no TIME_WAIT on \(port): this test would prove nothing")
        let r = f.portdash(["kill", String(port), "--yes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("portdash: port \(port) is free"), "\(r.stderr)")
        #expect(server.wait() == 128 + SIGTERM)
        #expect(f.portdash(["wait", String(port), "--free", "--timeout", "0"]).status == 0)
    }

    @Test("wait --free waits while a connection the old server left holds the port, and returns once only TIME_WAITs are left")
    func waitFreeLeftConnection() throws {
        let f = ProjectFixture(ports: 1)
        let port = f.range.first
        let listener = try Listener(port: port)
        let (client, accepted) = listener.connectLoopback()
        listener.close()  // nothing listens; the accepted connection still has the port
        let held = f.portdash(["wait", String(port), "--free", "--timeout", "0"])
        #expect(held.status == 69 && held.stderr == "portdash: port \(port) is still held (see who: portdash status \(port)) after 0 s\n", "\(held.stderr)")
        close(accepted)  // the server side closes first: its TIME_WAIT stays on the port
        close(client)
        try #require(waitUntil { TimeWait.count(on: port) > 0 }, "no TIME_WAIT on \(port): this test would prove nothing")
        let free = f.portdash(["wait", String(port), "--free", "--timeout", "120"])
        #expect(free.status == 0, "\(free.stderr)")
    }

    @Test("a port passed over for two services of a project is said once")
    func skippedOnce() throws {
        let f = ProjectFixture(ports: 4)
        f.write("portdash.toml", """
            [services.a]
            command = "true"

            [services.b]
            command = "true"

            """)
        let child = try ChildProcess.listening(on: f.range.first)
        let r = f.portdash(["env"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.ranges(of: "skipped \(f.range.first) busy").count == 1, "\(r.stderr)")
        _ = child
    }
}
