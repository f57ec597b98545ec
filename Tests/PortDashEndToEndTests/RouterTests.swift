import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The router in the real `portdash-serve`: `.localhost` names to leased ports, real upstreams, raw clients.
@Suite("portdash serve routes NAME.localhost to the leased port", .blocking)
struct RouterTests {
    /// A server, an upstream on the pool's first port reserved as `app`, and the route seen working.
    func routed(address: String = "127.0.0.1") throws -> (ServeFixture, TestUpstream) {
        let serve = try ServeFixture()
        let upstream = TestUpstream(port: serve.range.first, address: address, dir: serve.dir)
        #expect(serve.cli(["reserve", String(upstream.port), "app"]).status == 0)
        let up = waitUntil { serve.get("/echo", host: "app.localhost:\(serve.port)")?.status == 200 }
        try #require(up, "the route to app.localhost never answered")
        return (serve, upstream)
    }

    struct Echo: Decodable {
        let method: String
        let target: String
        let headers: [[String]]
        let family: String
        func header(_ name: String) -> [String] { headers.filter { $0[0].lowercased() == name }.map { $0[1] } }
    }

    @Test("a routed request keeps its Host, gains X-Forwarded-For/-Host/-Proto and Via, loses hop-by-hop headers")
    func forwarded() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let r = try #require(serve.get("/echo?x=1", host: "App.localhost:\(serve.port)",
                                       headers: ["Keep-Alive: timeout=5", "X-Private: 1", "Connection: close, X-Private", "Proxy-Authorization: secret"]))
        #expect(r.status == 200)
        let echo = try JSONDecoder().decode(Echo.self, from: Data(r.body.utf8))
        #expect(echo.target == "/echo?x=1" && echo.family == "ipv4")
        #expect(echo.header("host") == ["App.localhost:\(serve.port)"])
        #expect(echo.header("x-forwarded-for") == ["127.0.0.1"])
        #expect(echo.header("x-forwarded-host") == ["App.localhost:\(serve.port)"])
        #expect(echo.header("x-forwarded-proto") == ["http"])
        #expect(echo.header("via") == ["1.1 portdash"])
        for gone in ["keep-alive", "x-private", "proxy-authorization", "connection"] {
            #expect(echo.header(gone).isEmpty, "\(gone)")
        }
        // Keep-alive on the client side: two requests, one connection.
        let c = try #require(RawClient(port: serve.port))
        #expect(c.send("GET /echo HTTP/1.1\r\nHost: app.localhost\r\n\r\n"))
        #expect(c.waitFor("\"family\""))
        let first = c.received.count
        #expect(c.send("GET /echo HTTP/1.1\r\nHost: app.localhost\r\nConnection: close\r\n\r\n"))
        c.readUntilClosed()
        #expect(String(decoding: c.received[first...], as: UTF8.self).hasPrefix("HTTP/1.1 200"))
    }

    @Test("a lease outside serve's pool (another --range, a project's own [pool]) is routed too")
    func outsideThePool() throws {
        let serve = try ServeFixture()
        let other = TestSupport.freeRange(count: 1)
        let upstream = TestUpstream(port: other.first, address: "127.0.0.1", dir: serve.dir)
        defer { withExtendedLifetime(upstream) {} }
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "reserve", String(other.first), "far",
                                        "--range", "\(other.first)-\(other.last)", "--state", serve.state])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(waitUntil { serve.get("/echo", host: "far.localhost")?.body.contains("\"family\": \"ipv4\"") == true })
    }

    @Test("an upstream that listens on ::1 only is dialled on ::1")
    func ipv6Only() throws {
        let (serve, upstream) = try routed(address: "::1")
        defer { withExtendedLifetime(upstream) {} }
        let r = try #require(serve.get("/echo", host: "app.localhost"))
        #expect(r.status == 200 && r.body.contains("\"family\": \"ipv6\""))
    }

    @Test("WebSocket: the upgrade passes, then frames both ways")
    func webSocket() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let c = try #require(RawClient(port: serve.port))
        #expect(c.send("GET /ws HTTP/1.1\r\nHost: app.localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
        #expect(c.waitFor("\r\n\r\n"))
        #expect(c.text.hasPrefix("HTTP/1.1 101"))
        #expect(c.text.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        #expect(c.text.lowercased().contains("upgrade: websocket"))
        let head = c.received.count
        for message in ["hello", "again"] {
            let mask: [UInt8] = [1, 2, 3, 4]
            let payload = Array(message.utf8).enumerated().map { $0.element ^ mask[$0.offset % 4] }
            #expect(c.send(bytes: [0x81, 0x80 | UInt8(payload.count)] + mask + payload))
            #expect(c.waitFor(message, from: head))
        }
        #expect(c.received.count >= head + 2 && Array(c.received[head..<min(c.received.count, head + 2)]) == [0x81, 5])
    }

    @Test("a chunked response is passed on as it comes: the first chunk arrives before the last is written")
    func chunkedStreaming() throws {
        let (serve, upstream) = try routed()
        let c = try #require(RawClient(port: serve.port))
        #expect(c.send("GET /chunked HTTP/1.1\r\nHost: app.localhost\r\nConnection: close\r\n\r\n"))
        #expect(c.waitFor("first\n"))
        #expect(!c.text.contains("last"))
        TestSupport.writeFile(upstream.release, "")
        c.readUntilClosed()
        #expect(c.text.contains("last\n") && c.text.lowercased().contains("transfer-encoding: chunked") && c.text.hasSuffix("0\r\n\r\n"))
    }

    @Test("a 256 MiB upload, chunked and with a length, streams through with the router's peak memory bounded")
    func largeUpload() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let total = 256 << 20
        let block = [UInt8](repeating: 0x61, count: 1 << 20)
        for chunked in [false, true] {
            let c = try #require(RawClient(port: serve.port))
            let framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: \(total)"
            #expect(c.send("POST /upload HTTP/1.1\r\nHost: app.localhost\r\n\(framing)\r\nConnection: close\r\n\r\n"))
            let prefix = Array("100000\r\n".utf8), suffix = Array("\r\n".utf8)
            for _ in 0..<(total / block.count) {
                guard c.send(bytes: chunked ? prefix + block + suffix : block) else { break }
            }
            if chunked { #expect(c.send("0\r\n\r\n")) }
            c.readUntilClosed()
            #expect(c.text.hasPrefix("HTTP/1.1 200") && c.text.hasSuffix("\r\n\r\n\(total)"), "\(c.text.suffix(200))")
        }
        let status = String(decoding: TestSupport.readFile("/proc/\(serve.process.pid)/status") ?? [], as: UTF8.self)
        let peak = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") }?.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        let kib = try #require(peak)
        #expect(kib < 64 * 1024, "VmHWM \(kib) KiB")
    }

    @Test("Expect: 100-continue: the upstream's 100 reaches the client before it sends the body")
    func expectContinue() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let c = try #require(RawClient(port: serve.port))
        #expect(c.send("POST /upload HTTP/1.1\r\nHost: app.localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"))
        #expect(c.waitFor("HTTP/1.1 100 Continue\r\n\r\n"))
        #expect(c.send("hello"))
        c.readUntilClosed()
        #expect(c.text.contains("HTTP/1.1 200 OK") && c.text.hasSuffix("\r\n\r\n5"), "\(c.text)")
    }

    @Test("502 for a name nothing listens on, 404 listing the names, 508 for a loop; text for curl, HTML for a browser")
    func errors() throws {
        let serve = try ServeFixture()
        #expect(serve.cli(["reserve", String(serve.range.last), "db"]).status == 0)
        #expect(serve.cli(["lease", "cache"]).status == 0)
        var r: HTTPTestResponse?
        #expect(waitUntil { r = serve.get("/", host: "db.localhost"); return r?.status == 502 })
        #expect(r?.header("Content-Type") == "text/plain; charset=utf-8")
        #expect(r?.body == "nothing listens on port \(serve.range.last), reserved for db: start it there (portdash status \(serve.range.last))\n")
        #expect(waitUntil { serve.get("/", host: "cache.localhost")?.body.contains("cache (port ") == true })
        #expect(serve.get("/", host: "cache.localhost")?.body.contains("is not running: portdash run cache -- COMMAND") == true)

        let missing = try #require(serve.get("/", host: "nope.localhost:\(serve.port)"))
        #expect(missing.status == 404)
        #expect(missing.body.hasPrefix("no lease is named nope.localhost.\nNames:\n"))
        #expect(missing.body.contains("http://db.localhost:\(serve.port)/  → port \(serve.range.last) (db)"))
        let page = try #require(serve.get("/", host: "nope.localhost", headers: ["Accept: text/html,*/*"]))
        #expect(page.status == 404 && page.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page.body.contains("<a href=\"http://db.localhost:\(serve.port)/\">"))
        #expect(page.header("Content-Security-Policy") == "default-src 'self'" && page.header("X-Content-Type-Options") == "nosniff")

        let loop = try #require(serve.get("/", host: "db.localhost", headers: ["Via: 1.1 portdash"]))
        #expect(loop.status == 508)
        #expect(serve.get("/", host: "evil.example")?.status == 421)
    }

    @Test("the index page: the pool with services and URLs, every listener, no external assets, readable without script")
    func indexPage() throws {
        let (serve, upstream) = try routed()
        for host in ["localhost:\(serve.port)", "portdash.localhost:\(serve.port)"] {
            let r = try #require(serve.get("/", host: host))
            #expect(r.status == 200 && r.header("Content-Type") == "text/html; charset=utf-8")
            #expect(r.header("Content-Security-Policy") == "default-src 'self'" && r.header("X-Content-Type-Options") == "nosniff")
            #expect(r.body.contains("<td>\(upstream.port)</td><td>ours</td><td>app</td><td><a href=\"http://app.localhost:\(serve.port)/\">"))
            #expect(r.body.contains("<h2>Every other listener</h2>"))
            #expect(r.body.contains("<td>\(serve.port)</td>"))  // serve itself, outside the pool
            #expect(!r.body.contains("src=\"http") && !r.body.contains("stylesheet\" href=\"http"))
            #expect(!r.body.contains("<script>"))
        }
        #expect(serve.get("/.portdash/live.js")?.body.contains("new EventSource(\"/events\")") == true)
        #expect(serve.get("/.portdash/style.css")?.header("Content-Type") == "text/css; charset=utf-8")
    }

    @Test("socket activation: systemd-socket-activate hands the listening socket over (LISTEN_FDS)")
    func socketActivation() throws {
        guard TestSupport.runCommand(["/bin/sh", "-c", "command -v systemd-socket-activate"]).status == 0 else {
            print("skipped: systemd-socket-activate is not installed (Debian package systemd; .ci/run installs it)")
            return
        }
        let port = TestSupport.freeRange(count: 1).first
        let range = TestSupport.freeRange(count: 2)
        let dir = TestSupport.temporaryDirectory("portdash-activate")
        defer { TestSupport.removeTree(dir) }
        let p = ChildProcess(["systemd-socket-activate", "-l", "127.0.0.1:\(port)", TestSupport.serveBinary,
                              "--range", "\(range.first)-\(range.last)", "--state", dir + "/leases.json"], captureOutput: true)
        defer { p.signal(SIGKILL); _ = p.waitForExit() }
        #expect(waitUntil { HTTPTestClient.get(port: port, "/healthz")?.status == 200 })
        p.signal(SIGTERM)
        let out = p.waitForExit()
        #expect(out.stderr.contains("listening on http://127.0.0.1:\(port) (socket activation: 127.0.0.1:\(port))"), "\(out.stderr)")
    }
}

@Suite("portdash hosts (the binary)", .blocking)
struct HostsCommandTests {
    @Test("hosts prints the block; --write puts it in a hosts file, replaces it, keeps the rest")
    func hosts() throws {
        let range = TestSupport.freeRange(count: 2)
        let dir = TestSupport.temporaryDirectory("portdash-hosts")
        defer { TestSupport.removeTree(dir) }
        func portdash(_ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
            TestSupport.runCommand([TestSupport.portdashBinary] + args + ["--range", "\(range.first)-\(range.last)", "--state", dir + "/leases.json"])
        }
        #expect(portdash(["reserve", String(range.first), "db"]).status == 0)
        let printed = portdash(["hosts"])
        #expect(printed.status == 0)
        #expect(printed.stdout == HostsBlock.begin + "\n127.0.0.1\tportdash.localhost\n::1\tportdash.localhost\n127.0.0.1\tdb.localhost\n::1\tdb.localhost\n" + HostsBlock.end + "\n")
        let file = dir + "/hosts"
        TestSupport.writeFile(file, "127.0.0.1 localhost\n")
        #expect(portdash(["hosts", "--write", "--file", file]).status == 0)
        #expect(String(decoding: TestSupport.readFile(file) ?? [], as: UTF8.self) == "127.0.0.1 localhost\n" + printed.stdout)
        #expect(portdash(["reserve", String(range.last), "cache"]).status == 0)
        let again = portdash(["hosts", "--write", "--file", file])
        #expect(again.status == 0 && again.stderr.contains("wrote 3 names"), "\(again.stderr)")
        let text = String(decoding: TestSupport.readFile(file) ?? [], as: UTF8.self)
        #expect(text.hasPrefix("127.0.0.1 localhost\n# BEGIN portdash") && text.contains("::1\tcache.localhost\n") && text.components(separatedBy: "# BEGIN").count == 2)
        #expect(portdash(["hosts", "--write", "--file", file]).stderr.contains("is up to date"))
    }
}

@Suite("The dashboard shows a lease's URL (tmux)", .blocking, .serialized)
struct DashboardURLTmuxTests {
    @Test("a reservation's details show its .localhost URL; o without xdg-open says the URL")
    func url() throws {
        let fixture = TmuxDashboard()
        let range = TestSupport.freeRange(count: 3)
        #expect(fixture.cli(["reserve", String(range.first), "shop-db"], range).status == 0)
        let t = try fixture.start(range, env: ["PORTDASH_ROUTER_PORT": "8080", "PATH": "/nonexistent"])
        t.waitFor("the reservation") { _ in t.row(range.first).contains("shop-db") }
        t.keys("Enter")
        #expect(t.waitFor(text: "url: http://shop-db.localhost:8080/"))
        t.keys("o")
        #expect(t.waitFor(text: "no xdg-open here (no desktop?); the URL is http://shop-db.localhost:8080/"))
    }
}

@Suite("serve's request-head time limit", .blocking)
struct HeadTimeoutTests {
    @Test("part of a head and then nothing: 408 once the head time runs out, then closed")
    func timeout() throws {
        let serve = try ServeFixture()
        let c = try #require(RawClient(port: serve.port))
        #expect(c.send("GET /heal"))
        c.readUntilClosed()
        #expect(c.text.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"), "\(c.text)")
    }
}
