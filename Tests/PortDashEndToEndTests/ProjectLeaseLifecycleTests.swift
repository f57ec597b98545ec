import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// A project's leases through their life: a running up holds them (release
/// refused, a lost one taken back on restart), env says when it leased,
/// and a service removed from the file lets its port go.
@Suite("a project's leases: up holds them, env says what it took, removed services let go", .serialized)
struct ProjectLeaseLifecycleTests {
    static let api = """
        [services.api]
        command = "exec python3 server.py"

        """

    func port(_ f: ProjectFixture, _ service: String) throws -> UInt16? {
        try f.leases().first { $0.service == service && $0.project != nil }?.port
    }

    /// An up running api (the test server) on the pool's first port, seen ready.
    func startAPI() -> (ProjectFixture, UpProcess, UInt16) {
        let f = ProjectFixture(ports: 3)
        f.write("server.py", ProjectFixture.server)
        f.write("portdash.toml", Self.api)
        let up = f.up()
        #expect(up.waitFor("api is ready: listening on port \(f.range.first)"))
        return (f, up, f.range.first)
    }

    /// Restarts api through `portdash restart`; true once up says it is ready a second time, on `port`.
    func restartedReady(_ f: ProjectFixture, _ up: UpProcess, on port: UInt16, then: () -> Void = {}) -> Bool {
        let restart = f.portdash(["restart", "api"])
        #expect(restart.status == 0, "\(restart.stderr)")
        then()
        let ok = waitUntil(seconds: 60) { up.log.ranges(of: "api is ready: listening on port \(port)").count == 2 }
        return ok && !up.log.contains("did not listen")
    }

    /// A test that stops early (a failed #require) leaves no up behind.
    func cleanUp(_ up: UpProcess) {
        if !up.child.hasExited { up.interrupt() }
        _ = up.wait()
    }

    func envPort(_ f: ProjectFixture, _ variable: String) -> String? {
        f.portdash(["env"]).stdout.split(separator: "\n").first { $0.hasPrefix(variable + "=") }.map { String($0.dropFirst(variable.count + 1)) }
    }

    @Test("d in the dashboard and portdash release on a running up's port release nothing and say why; restart and env keep the port")
    func releaseRefused() throws {
        let (f, up, p) = startAPI()
        defer { cleanUp(up) }
        let t = try TmuxSession(command: [TestSupport.portdashBinary, "--range", "\(f.range.first)-\(f.range.last)"], environment: f.environment)
        t.waitFor("api's row") { _ in t.row(p).contains("ours") && t.row(p).contains("api") }
        t.keys("d")
        #expect(t.waitFor(text: "belongs to the portdash up running in"))
        #expect(!t.screen.contains("y: release"))
        t.keys("q")
        let r = f.portdash(["release", "api"])
        #expect(r.status == 69 && r.stderr.contains("\(p) (api · ") && r.stderr.contains("portdash restart api"), "\(r.stderr)")
        #expect(try port(f, "api") == p)
        #expect(restartedReady(f, up, on: p), "\(up.log)")
        #expect(envPort(f, "API_PORT") == String(p))
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
    }

    @Test("a lease that went while up runs (a repair, a hand edit): restart takes it back on the same port; it listens and is ready")
    func restartTakesLeaseBack() throws {
        let (f, up, p) = startAPI()
        defer { cleanUp(up) }
        _ = try LeaseStore(path: f.state).update { (book: inout LeaseBook) throws(PortKitError) in book.leases.removeAll() }
        let tookBack = { up.waitFor("api: took back its lease of \(p)") }
        var said = false
        #expect(restartedReady(f, up, on: p) { said = tookBack() }, "\(up.log)")
        #expect(said)
        let lease = try #require(try f.leases().first { $0.service == "api" })
        #expect(lease.port == p && lease.owner != nil)
        #expect(envPort(f, "API_PORT") == String(p))
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
    }

    @Test("restart when another lease took the port meanwhile: the service is not started on it; up says whose it is")
    func restartPortTaken() throws {
        let (f, up, p) = startAPI()
        defer { cleanUp(up) }
        _ = try LeaseStore(path: f.state).update { (book: inout LeaseBook) throws(PortKitError) in
            book.leases.removeAll()
            book.leases.append(Lease(service: "db", port: p, kind: .reservation, granted: Int64(time(nil))))
        }
        #expect(f.portdash(["restart", "api"]).status == 0)
        #expect(up.waitFor("cannot start api: its port is not its own any more: port \(p) is reserved to db"))
        #expect(waitUntil(seconds: 60) { up.child.hasExited }, "up still runs:\n\(up.log)")
        if up.child.hasExited { #expect(up.wait() == 71, "\(up.log)") }
        #expect(f.book().leases.map(\.service) == ["db"])
    }

    @Test("env says in one line what it leased, and nothing when it only read the leases")
    func envSaysWhatItLeased() throws {
        let f = ProjectFixture(ports: 4)
        f.write("portdash.toml", """
            [services.api]
            command = "true"
            [services.web]
            command = "true"
            ports = ["debug"]

            """)
        let first = f.portdash(["env"])
        #expect(first.status == 0)
        let lines = first.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("portdash: leased api \(f.range.first), web "), "\(first.stderr)")
        #expect(lines.first?.contains("web.debug") == true)
        let again = f.portdash(["env"])
        #expect(again.status == 0 && again.stderr.isEmpty, "\(again.stderr)")
        #expect(again.stdout == first.stdout)
    }

    @Test("a service removed from portdash.toml: env and up end its lease at once, in one line, and its name goes")
    func removedServiceLetsGo() throws {
        let f = ProjectFixture(ports: 4)
        f.write("server.py", ProjectFixture.server)
        f.write("portdash.toml", Self.api + """
            [services.old]
            command = "true"
            ports = ["debug"]

            """)
        #expect(f.portdash(["env"]).status == 0)
        let old = try #require(try port(f, "old"))
        f.write("portdash.toml", Self.api)
        let env = f.portdash(["env"])
        #expect(env.status == 0)
        #expect(env.stderr.contains("portdash: released \(old) (old · "), "\(env.stderr)")
        #expect(env.stderr.contains("(old.debug · ") && env.stderr.contains("no longer in \(f.dir)/portdash.toml"), "\(env.stderr)")
        #expect(env.stderr.split(separator: "\n").count == 1, "\(env.stderr)")
        #expect(try f.leases().map(\.service) == ["api"])
        #expect(!f.portdash(["env"]).stdout.contains("OLD_"))
        // up too: a lease env gave a service that then left the file.
        f.write("portdash.toml", Self.api + "[services.gone]\ncommand = \"true\"\n")
        #expect(f.portdash(["env"]).status == 0)
        f.write("portdash.toml", Self.api)
        let up = f.up()
        defer { cleanUp(up) }
        #expect(up.waitFor("(gone · ") && up.waitFor("no longer in"))
        #expect(up.waitFor("api is ready"))
        #expect(try !f.leases().contains { $0.service == "gone" })
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
    }
}
