import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// `portdash up` with real services (python3 servers) in temporary projects.
@Suite("portdash up (the binary, real services)", .blocking)
struct ProjectUpTests {
    /// api listens only after a second; web depends on it, connects to it
    /// first thing, and prints what it was given.
    static let twoServices = """
        [services.api]
        command = "python3 server.py"
        env = { DELAY = "1" }

        [services.web]
        command = "python3 server.py --name {port}"
        depends_on = ["api"]
        ports = ["debug"]
        env = { CHECK = "API_PORT", SHOW = "API_PORT PORT_DEBUG API_URL PORT", API_URL = "http://127.0.0.1:{api.port}/v1" }

        """

    @Test("a dependent starts only after its dependency listens, and sees API_PORT, PORT_DEBUG and a filled env template")
    func dependencyOrder() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", Self.twoServices)
        f.write("server.py", ProjectFixture.server)
        let up = f.up()
        #expect(up.waitFor("web is ready"))
        // What web printed comes through up's output pipe, maybe after "ready": its last line before listening.
        #expect(up.waitFor("web | listening on"))
        let log = up.log
        let leases = try f.leases()
        let api = try #require(leases.first { $0.service == "api" })
        let web = try #require(leases.first { $0.service == "web" && $0.project?.portName == nil })
        let debug = try #require(leases.first { $0.project?.portName == "debug" })
        // web connected to api's port before printing anything: api was listening when web started.
        #expect(log.contains("web | reached API_PORT"))
        let apiReady = try #require(log.firstRange(of: "api is ready"))
        let webStarted = try #require(log.firstRange(of: "started web"))
        #expect(apiReady.lowerBound < webStarted.lowerBound)
        #expect(ProjectFixture.shown("API_PORT", in: log) == String(api.port))
        #expect(ProjectFixture.shown("PORT_DEBUG", in: log) == String(debug.port))
        #expect(ProjectFixture.shown("PORT", in: log) == String(web.port))
        #expect(ProjectFixture.shown("API_URL", in: log) == "http://127.0.0.1:\(api.port)/v1")
        // Leases bound to each service's own process, shown with the project.
        let name = String(f.dir.split(separator: "/").last!)
        #expect(web.label == "web · \(name)" && debug.label == "web.debug · \(name)")
        #expect(leases.allSatisfy { $0.status == "active" && $0.owner != nil })
        #expect(api.owner?.pid != web.owner?.pid)
        let status = f.portdash(["status", String(api.port), String(web.port)])
        #expect(status.stdout.contains("ours") && status.stdout.contains("api · \(name)") && !status.stdout.contains("conflict"))
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
    }

    @Test("Ctrl-C (SIGINT to the foreground process group) leaves no process of either service and no lease; a service ignoring TERM gets KILL")
    func interruptStopsEverything() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", """
            [services.api]
            command = "python3 server.py"

            [services.stubborn]
            command = "trap '' TERM; python3 server.py"
            depends_on = ["api"]

            """)
        f.write("server.py", ProjectFixture.server)
        let up = f.up(["--grace", "1"])
        #expect(up.waitFor("stubborn is ready"))
        let leases = try f.leases()
        let owners = leases.compactMap { $0.owner?.pid }
        let status = f.portdash(["status", "--json"])
        let listeners = status.stdout.split(separator: "\"pid\":").dropFirst().compactMap { Int32($0.prefix { $0.isNumber }) }
        #expect(owners.count == 2 && !listeners.isEmpty)
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
        #expect(up.log.contains("SIGINT: stopping"))
        #expect(up.log.contains("still running after TERM: stubborn; sending KILL"))
        #expect(!anyAlive(pids: owners + listeners, groups: owners))
        #expect(f.book().leases.isEmpty)
        #expect(try f.leases().isEmpty)
    }

    @Test("a service that exits with status 3: said with its status, the others stopped, up exits 3")
    func serviceExits() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", """
            [services.api]
            command = "python3 server.py"

            [services.job]
            command = "echo working; exit 3"
            depends_on = ["api"]
            ready = "none"

            """)
        f.write("server.py", ProjectFixture.server)
        let up = f.up()
        #expect(up.wait() == 3)
        #expect(up.log.contains("job | working"))
        #expect(up.log.contains("job exited on its own with status 3"))
        #expect(f.book().leases.isEmpty)
    }

    @Test("kill of a port a service of `up` holds: names the service, its checkout and the up (pid), and the gentler portdash stop")
    func killNamesUpService() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", "[services.web]\ncommand = \"python3 server.py\"\n")
        f.write("server.py", ProjectFixture.server)
        let up = f.up()
        #expect(up.waitFor("web | listening on"))
        let port = try #require(try f.leases().first { $0.service == "web" }?.port)
        let r = f.portdash(["kill", String(port), "--dry-run"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("portdash: port \(port) is web of "), "\(r.stderr)")
        #expect(r.stderr.contains(", run by portdash up (pid \(up.child.pid)); to that up this is a crash"), "\(r.stderr)")
        #expect(r.stderr.contains("portdash stop web in "), "\(r.stderr)")
        #expect(r.stderr.contains("would send SIGTERM"), "\(r.stderr)")
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
    }

    @Test("a service killed by a signal: named once as a signal (SIGPIPE (signal 13)), never \"signal signal\"; up exits 128+13")
    func serviceKilledBySignal() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", """
            [services.job]
            command = "kill -PIPE $$"
            ready = "none"

            """)
        let up = f.up()
        #expect(up.wait() == 128 + SIGPIPE)
        #expect(up.log.contains("job ended on its own, killed by SIGPIPE (signal 13)"), "\(up.log)")
        #expect(!up.log.contains("signal signal"), "\(up.log)")
    }

    @Test("a service that never listens: stopped at --timeout with one line naming it, exit 69")
    func readinessTimeout() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", """
            [services.mute]
            command = "exec sleep 600"

            """)
        let up = f.up(["--timeout", "1"])
        #expect(up.wait() == 69)
        #expect(up.log.contains("mute did not listen on port \(f.range.first) within 1 s; stopped everything"))
        let pids = try f.leases().compactMap { $0.owner?.pid }
        #expect(pids.isEmpty && f.book().leases.isEmpty)
        #expect(!TestSupport.runCommand(["pgrep", "-f", "^sleep 600$"]).stdout.split(separator: "\n").contains { pid in
            ProcessReader().stat(Int32(pid) ?? 0)?.ppid == up.child.pid
        })
    }

    @Test("a Procfile project: each process gets PORT and the others' NAME_PORT")
    func procfile() throws {
        let f = ProjectFixture()
        f.write("Procfile", """
            # foreman's format
            web: python3 server.py
            worker: echo WEB_PORT=$WEB_PORT WORKER_PORT=$WORKER_PORT PORT=$PORT; exec sleep 600

            """)
        f.write("server.py", ProjectFixture.server)
        let up = f.up()
        #expect(up.waitFor("web    | listening on"))
        #expect(up.waitFor("worker | WEB_PORT="))
        let leases = try f.leases()
        let web = try #require(leases.first { $0.service == "web" })
        let worker = try #require(leases.first { $0.service == "worker" })
        #expect(up.log.contains("worker | WEB_PORT=\(web.port) WORKER_PORT=\(worker.port) PORT=\(worker.port)"))
        #expect(up.log.contains("web    | listening on \(web.port)"))
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
        #expect(f.book().leases.isEmpty)
    }

    @Test("the pool too small for the project: nothing is leased or started, one line says what is short, exit 69")
    func poolTooSmall() throws {
        let f = ProjectFixture(ports: 2)
        f.write("portdash.toml", Self.twoServices)
        let r = f.portdash(["up"])
        #expect(r.status == 69)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("cannot hold the 3 ports") && r.stderr.contains("2 fit, no port for web.debug"))
        // The two ports this request took on the way are undone with it: not who holds the pool.
        #expect(!r.stderr.contains("leased to"), "\(r.stderr)")
        #expect(f.book().leases.isEmpty)
    }

    @Test("the pool too small for 15,000 services: one short line (… and N more), nothing leased")
    func poolTooSmallForThousands() throws {
        let f = ProjectFixture(ports: 3)
        // One port of the pool leased to someone else: that one is named.
        let held = f.portdash(["lease", "db"])
        #expect(held.status == 0, "\(held.stderr)")
        f.write("portdash.toml", (0..<15_000).map { "[services.s\($0)]\ncommand = \"x\"\n" }.joined())
        let r = f.portdash(["env"])
        #expect(r.status == 69, "\(r.stderr.prefix(500))")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.utf8.count < 600, "\(r.stderr.utf8.count) bytes: \(r.stderr.prefix(800))")
        #expect(r.stderr.contains("cannot hold the 15000 ports") && r.stderr.contains("2 fit, no port for s2, s3, s4, s5, s6 and 14993 more"), "\(r.stderr.prefix(800))")
        #expect(r.stderr.contains("is leased to db") && !r.stderr.contains("leased to s0") && !r.stderr.contains("leased to s1"), "\(r.stderr.prefix(800))")
        #expect(f.book().leases.map(\.service) == ["db"])
    }
}
