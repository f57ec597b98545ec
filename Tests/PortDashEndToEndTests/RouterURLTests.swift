import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// A real `portdash-serve` on a project fixture's state file and pool, on a
/// port of its own: what the URLs of the other verbs follow.
final class RouterProcess {
    let port: UInt16
    let process: ChildProcess

    init(_ f: ProjectFixture) throws {
        port = TestSupport.freeRange(count: 1).first
        process = ChildProcess([TestSupport.serveBinary, "--listen", "127.0.0.1:\(port)", "--range", "\(f.range.first)-\(f.range.last)",
                                "--state", f.state, "--interval", "0.2"], environment: f.environment, captureOutput: true)
        let port = self.port
        guard waitUntil(seconds: 60, { HTTPTestClient.get(port: port, "/healthz")?.status == 200 }) else {
            process.signal(SIGKILL)
            throw ServeFixture.NotServing(stderr: process.waitForExit().stderr)
        }
    }

    func stop(_ sig: Int32 = SIGTERM) -> (status: Int32, stdout: String, stderr: String) {
        process.signal(sig)
        return process.waitForExit()
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.waitForExit()
    }
}

@Suite("URLs follow the router that runs (the binaries)")
struct RouterURLTests {
    static let project = """
        [services.web]
        command = "python3 server.py"
        ports = ["debug"]
        env = { SELF = "{url}" }

        """

    struct EnvJSON: Decodable { let variables: [String: String] }

    static func env(_ f: ProjectFixture, extra: [String: String] = [:]) throws -> [String: String] {
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "env", "web", "--json", "--range", "\(f.range.first)-\(f.range.last)"],
                                       environment: f.environment.merging(extra) { _, b in b }, directory: f.dir)
        return try JSONDecoder().decode(EnvJSON.self, from: Data(r.stdout.utf8)).variables
    }

    @Test("no router: WEB_URL, {url}, status --json and leases --json are http://127.0.0.1:PORT/; with serve running they name serve's port; a dead serve's record is ignored")
    func follow() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", Self.project)
        let checkout = RouteNames.label(RouteNames.directoryName(f.dir))
        var vars = try Self.env(f)
        let port = try #require(vars["WEB_PORT"].flatMap { UInt16($0) })
        let debug = try #require(vars["WEB_PORT_DEBUG"].flatMap { UInt16($0) })
        #expect(vars["WEB_URL"] == "http://127.0.0.1:\(port)/" && vars["SELF"] == vars["WEB_URL"])
        #expect(vars["WEB_DIRECT_URL"] == "http://127.0.0.1:\(port)/" && vars["WEB_DIRECT_URL_DEBUG"] == "http://127.0.0.1:\(debug)/")
        #expect(f.portdash(["status", "--json"]).stdout.contains("\"url\":\"http://127.0.0.1:\(port)/\""))
        #expect(f.portdash(["leases", "--json"]).stdout.contains("\"url\":\"http://127.0.0.1:\(debug)/\""))

        let router = try RouterProcess(f)
        #expect(access(f.state + ".router", F_OK) == 0)
        vars = try Self.env(f)
        #expect(vars["WEB_URL"] == "http://web.\(checkout).localhost:\(router.port)/", "\(vars)")
        #expect(vars["WEB_URL_DEBUG"] == "http://debug.web.\(checkout).localhost:\(router.port)/" && vars["SELF"] == vars["WEB_URL"])
        #expect(vars["WEB_DIRECT_URL"] == "http://127.0.0.1:\(port)/")
        #expect(f.portdash(["status", "--json"]).stdout.contains("\"url\":\"http://web.\(checkout).localhost:\(router.port)/\""))
        #expect(f.portdash(["leases", "--json"]).stdout.contains("\"url\":\"http://debug.web.\(checkout).localhost:\(router.port)/\""))
        // serve's own /port-status says the same.
        #expect(router.process.hasExited == false)
        #expect(HTTPTestClient.get(port: router.port, "/port-status")?.body.contains("\"url\":\"http://web.\(checkout).localhost:\(router.port)/\"") == true)
        // PORTDASH_ROUTER_PORT still wins.
        #expect(try Self.env(f, extra: ["PORTDASH_ROUTER_PORT": "80"])["WEB_URL"] == "http://web.\(checkout).localhost/")

        // Killed: its record stays, but names a process that is gone.
        _ = router.stop(SIGKILL)
        #expect(access(f.state + ".router", F_OK) == 0)
        #expect(try Self.env(f)["WEB_URL"] == "http://127.0.0.1:\(port)/")
    }

    @Test("a router with TLS (its record names an https port): URLs are https, without the port when it is 443")
    func https() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", Self.project)
        let checkout = RouteNames.label(RouteNames.directoryName(f.dir))
        _ = try Self.env(f)  // leases the ports, makes the state directory
        // A record naming a live process (this test's own), as serve with TLS writes it.
        let me = ProcessStamp(pid: getpid(), startTime: ProcessReader().startTime(getpid())!)
        for (https, expected) in [(UInt16(8443), "https://web.\(checkout).localhost:8443/"), (443, "https://web.\(checkout).localhost/")] {
            guard case .success = RouterRecord(serve: me, http: 8080, https: https).write(statePath: f.state) else {
                Issue.record("cannot write the record"); return
            }
            #expect(try Self.env(f)["WEB_URL"] == expected)
            #expect(f.portdash(["status", "--json"]).stdout.contains("\"url\":\"\(expected)\""))
        }
    }

    @Test("serve removes its record when it stops; the record is 0600 and names serve's pid and port")
    func record() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", Self.project)
        _ = try Self.env(f)
        let router = try RouterProcess(f)
        let r = try #require(RouterRecord.read(statePath: f.state))
        #expect(r.serve.pid == router.process.pid && r.http == router.port && r.https == nil)
        var st = stat()
        #expect(lstat(f.state + ".router", &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(router.stop().status == 0)
        #expect(access(f.state + ".router", F_OK) != 0)
    }

    @Test("up's ready line carries the URL; with a router running, up says once when programs cannot resolve the names (as getent does)")
    func upLines() throws {
        let f = ProjectFixture()
        f.write("server.py", ProjectFixture.server)
        f.write("portdash.toml", """
            [services.web]
            command = "python3 server.py"

            """)
        let checkout = RouteNames.label(RouteNames.directoryName(f.dir))
        let up = f.up(log: "up1.log")
        #expect(up.waitFor("web is ready: listening on port \(f.range.first), http://127.0.0.1:\(f.range.first)/"))
        up.interrupt()
        _ = up.wait()
        #expect(!up.log.contains("does not resolve"), "\(up.log)")

        let router = try RouterProcess(f)
        let again = f.up(log: "up2.log")
        #expect(again.waitFor("web is ready: listening on port \(f.range.first), http://web.\(checkout).localhost:\(router.port)/"))
        let host = "web.\(checkout).localhost"
        let resolves = TestSupport.runCommand(["getent", "hosts", host]).status == 0
        if resolves {
            #expect(!again.log.contains("does not resolve"), "\(again.log)")
        } else {
            #expect(again.waitFor("\(host) does not resolve for programs here"))
            #expect(again.log.contains("sudo portdash hosts --write") && again.log.contains("WEB_DIRECT_URL"))
            #expect(again.log.ranges(of: "does not resolve").count == 1)
        }
        again.interrupt()
        _ = again.wait()
    }

    @Test("proxy_host = \"upstream\": that service gets Host 127.0.0.1:PORT (the name in X-Forwarded-Host); the others keep the name")
    func upstreamHost() throws {
        let f = ProjectFixture()
        f.write("portdash.toml", """
            [services.lab]
            command = "python3 upstream.py"
            proxy_host = "upstream"

            [services.web]
            command = "python3 upstream.py"

            """)
        let checkout = RouteNames.label(RouteNames.directoryName(f.dir))
        _ = try Self.env(f)  // leases both ports
        let book = f.book()
        let lab = try #require(book.leases.first { $0.service == "lab" }?.port)
        let web = try #require(book.leases.first { $0.service == "web" }?.port)
        let ups = [TestUpstream(port: lab, address: "127.0.0.1", dir: f.dir), TestUpstream(port: web, address: "127.0.0.1", dir: f.dir)]
        #expect(waitUntil(seconds: 60) { ups.allSatisfy { HTTPTestClient.get(port: $0.port, "/echo")?.status == 200 } })
        let router = try RouterProcess(f)
        struct Echo: Decodable { let headers: [[String]] }
        func headers(_ host: String) -> [String: String] {
            var seen: [String: String] = [:]
            _ = waitUntil(seconds: 30) {
                guard let r = HTTPTestClient.get(port: router.port, "/echo", host: host), r.status == 200,
                      let e = try? JSONDecoder().decode(Echo.self, from: Data(r.body.utf8)) else { return false }
                for h in e.headers where h.count == 2 { seen[h[0].lowercased()] = h[1] }
                return true
            }
            return seen
        }
        let labHost = "lab.\(checkout).localhost:\(router.port)"
        let l = headers(labHost)
        #expect(l["host"] == "127.0.0.1:\(lab)" && l["x-forwarded-host"] == labHost, "\(l)")
        let webHost = "web.\(checkout).localhost:\(router.port)"
        let w = headers(webHost)
        #expect(w["host"] == webHost, "\(w)")
        // A bad value is refused where the project is read, in one line.
        f.write("portdash.toml", "[services.lab]\ncommand = \"x\"\nproxy_host = \"origin\"\n")
        let bad = f.portdash(["env"])
        #expect(bad.status == 65 && bad.stderr.contains("proxy_host = \"origin\" is not one of \"client\""), "\(bad.stderr)")
    }

    @Test("the 502 page names the command that works: portdash restart while the checkout's up runs, portdash up when none does")
    func notRunningCommand() throws {
        let f = ProjectFixture()
        f.write("server.py", ProjectFixture.server)
        f.write("portdash.toml", """
            [services.web]
            command = "python3 server.py"

            [services.docs]
            command = "sleep 600"
            ready = "none"

            """)
        let checkout = RouteNames.label(RouteNames.directoryName(f.dir))
        let router = try RouterProcess(f)
        let host = "docs.\(checkout).localhost:\(router.port)"
        let up = f.up()
        #expect(up.waitFor("web is ready"))
        var page: HTTPTestResponse?
        #expect(waitUntil(seconds: 30) { page = HTTPTestClient.get(port: router.port, "/", host: host); return page?.status == 502 })
        #expect(page?.body.contains("&& portdash restart docs") == true, "\(page?.body ?? "")")
        up.interrupt()
        _ = up.wait()
        // No up: `env` leases the ports for nobody; nothing listens.
        _ = try Self.env(f)
        #expect(waitUntil(seconds: 30) { page = HTTPTestClient.get(port: router.port, "/", host: host); return page?.body.contains("&& portdash up docs") == true },
                "\(page?.body ?? "")")
    }
}

@Suite("the dashboard's URLs follow the router (tmux)")
struct DashboardRouterURLTests {
    @Test("the URL column: http://127.0.0.1:PORT/ with no router, the name through serve once it runs, direct again after it stops")
    func column() throws {
        let d = TmuxDashboard()
        defer { TestSupport.removeTree(d.dir) }
        let range = TestSupport.freeRange(count: 3)
        #expect(d.cli(["lease", "web"], range).status == 0)
        let port = try #require(d.book().leases.first?.port)
        let t = try d.start(range, width: 170)
        #expect(t.waitFor(text: "http://127.0.0.1:\(port)/"), "\(t.screen)")
        let routerPort = TestSupport.freeRange(count: 1).first
        let serve = ChildProcess([TestSupport.serveBinary, "--listen", "127.0.0.1:\(routerPort)", "--range", "\(range.first)-\(range.last)",
                                  "--state", d.state, "--interval", "0.2"], captureOutput: true)
        #expect(t.waitFor(text: "http://web.localhost:\(routerPort)/", seconds: 60), "\(t.screen)")
        serve.signal(SIGTERM)
        #expect(serve.waitForExit().status == 0)
        #expect(t.waitFor(text: "http://127.0.0.1:\(port)/"), "\(t.screen)")
        t.keys("q")
    }
}
