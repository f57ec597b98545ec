import Glibc
import NIOHTTP1
import PortKit
import Testing
@testable import PortServe

@Suite("the router's rules: Host targets, hop-by-hop headers, error pages")
struct RouterUnitTests {
    @Test("Host: loopback names are local, .localhost names are routed, the rest foreign")
    func targets() throws {
        let policy = HostPolicy(listen: try ListenAddress(parsing: "127.0.0.1:5099"))
        #expect(policy.target("localhost:5099") == .local && policy.target("portdash.localhost") == .local)
        #expect(policy.target("Web.Shop.localhost:5099") == .routed("web.shop.localhost"))
        #expect(policy.target("web.shop.localhost.") == .routed("web.shop.localhost"))
        for foreign in ["web.shop.localhost:80", ".localhost", "localhost.evil.example", "a..localhost", "evil.example"] {
            #expect(policy.target(foreign) == .foreign, "\(foreign)")
        }
        // With an HTTPS listener, its port is as good as the HTTP one.
        let both = HostPolicy(listen: try ListenAddress(parsing: "127.0.0.1:5099"), also: [try ListenAddress(parsing: "127.0.0.1:5443")])
        #expect(both.target("web.localhost:5443") == .routed("web.localhost") && both.target("localhost:5099") == .local)
        #expect(both.target("web.localhost:5444") == .foreign)
    }

    @Test("RFC 9110 §7.6.1: Connection and what it names, Keep-Alive, TE, Transfer-Encoding, Upgrade, Proxy-*; the rest kept")
    func hopByHop() {
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/x", headers: HTTPHeaders([
            ("Host", "web.shop.localhost"), ("Connection", "keep-alive, X-Secret"), ("X-Secret", "1"), ("Keep-Alive", "timeout=5"),
            ("TE", "trailers"), ("Transfer-Encoding", "chunked"), ("Proxy-Authorization", "Basic x"), ("Proxy-Connection", "keep-alive"),
            ("Origin", "http://web.shop.localhost"), ("X-Forwarded-For", "10.1.1.1"), ("Upgrade", "h2c"),
        ]))
        let out = ProxyHeaders.request(head, client: "127.0.0.1")
        #expect(out.headers["host"] == ["web.shop.localhost"] && out.headers["origin"] == ["http://web.shop.localhost"])
        for gone in ["connection", "x-secret", "keep-alive", "te", "proxy-authorization", "proxy-connection", "upgrade"] {
            #expect(out.headers[gone].isEmpty, "\(gone)")
        }
        #expect(out.headers["transfer-encoding"] == ["chunked"])  // the body's framing, set again for the next hop
        #expect(out.headers["x-forwarded-for"] == ["127.0.0.1"])  // the client's own X-Forwarded-For is replaced
        #expect(out.headers["x-forwarded-host"] == ["web.shop.localhost"] && out.headers["x-forwarded-proto"] == ["http"])
        #expect(out.headers["via"] == ["1.1 portdash"] && ProxyHeaders.isLoop(out))

        let named = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/", headers: HTTPHeaders([
            ("Host", "a.localhost"), ("Connection", "host, content-length, x-gone"), ("Content-Length", "3"), ("X-Gone", "1"),
            ("X-Forwarded-Proto", "https"), ("X-Forwarded-Port", "443"), ("Forwarded", "for=1.2.3.4"),
        ]))
        let kept = ProxyHeaders.request(named, client: nil, scheme: "https")
        #expect(kept.headers["host"] == ["a.localhost"] && kept.headers["content-length"] == ["3"] && kept.headers["x-gone"].isEmpty)
        #expect(kept.headers["x-forwarded-proto"] == ["https"] && kept.headers["x-forwarded-port"].isEmpty && kept.headers["forwarded"].isEmpty)

        let ws = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/ws", headers: HTTPHeaders([
            ("Host", "a.localhost"), ("Connection", "Upgrade"), ("Upgrade", "websocket"), ("Sec-WebSocket-Key", "k"),
        ]))
        let up = ProxyHeaders.request(ws, client: nil)
        #expect(ProxyHeaders.isUpgrade(ws.headers) && up.headers["upgrade"] == ["websocket"] && up.headers["connection"] == ["upgrade"])
    }

    @Test("502 names the service, the checkout and the command that starts it; 404 lists the names")
    func pages() {
        let web = Lease(service: "web", port: 5002, kind: .lease, granted: 1,
                        project: LeaseProject(root: "/src/shop-feature-x", name: "shop@feature-x"))
        #expect(ErrorPages.notRunningLine(web) == "web of shop@feature-x is not running: cd /src/shop-feature-x && portdash up web")
        let odd = Lease(service: "web", port: 5002, kind: .lease, granted: 1, project: LeaseProject(root: "/src/my shop", name: "my shop"))
        #expect(ErrorPages.notRunningLine(odd).hasSuffix("cd '/src/my shop' && portdash up web"))
        // The one shell quoter: a control character in the checkout's path is never written raw.
        let hostile = Lease(service: "web", port: 5002, kind: .lease, granted: 1, project: LeaseProject(root: "/src/a\u{1B}[2Jb", name: "x"))
        #expect(ErrorPages.notRunningLine(hostile).hasSuffix(#"cd '/src/a'"$(printf '\033')"'[2Jb' && portdash up web"#))
        let names = RouteNames(leases: [web])
        let text = ErrorPages.unknown("nope.localhost", names: names, html: false, origin: .http(5099))
        #expect(text.status == 404 && String(decoding: text.body, as: UTF8.self).contains("http://web.shop-feature-x.localhost:5099/  → port 5002"))
        let html = ErrorPages.notRunning(names.routes[0], html: true, origin: .https(443))
        #expect(html.status == 502 && html.contentType == Response.html)
        #expect(String(decoding: html.body, as: UTF8.self).contains("cd /src/shop-feature-x &amp;&amp; portdash up web"))
        #expect(html.extraHeaders.contains { $0 == ("Content-Security-Policy", "default-src 'self'") })
        #expect(String(decoding: html.body, as: UTF8.self).contains("<a href=\"https://portdash.localhost/\">portdash</a>"))
        let tls = ErrorPages.unknown("nope.localhost", names: names, html: false, origin: .https(8443))
        #expect(String(decoding: tls.body, as: UTF8.self).contains("https://web.shop-feature-x.localhost:8443/  → port 5002"))
    }

    @Test("HTTP/2 to HTTP/1.1: several Cookie fields become one joined by '; '; an HTTP/1.1 head keeps its own")
    func cookiesJoined() {
        let h = HTTPHeaders([("host", "web.localhost"), ("cookie", "a=1"), ("cookie", "b=2")])
        let fromH2 = ProxyHeaders.request(HTTPRequestHead(version: .init(major: 2, minor: 0), method: .GET, uri: "/", headers: h), client: nil)
        #expect(fromH2.headers["cookie"] == ["a=1; b=2"])
        let fromH1 = ProxyHeaders.request(HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: h), client: nil)
        #expect(fromH1.headers["cookie"] == ["a=1", "b=2"])
    }

    @Test("an HTTP/2 head: :authority and Host naming different hosts is 400, the same host twice passes, a head over the limits is 431")
    func http2Heads() {
        let limits = ServeLimits()
        func head(_ fields: [(String, String)]) -> HTTPRequestHead {
            HTTPRequestHead(version: .init(major: 2, minor: 0), method: .GET, uri: "/", headers: HTTPHeaders(fields))
        }
        let differ = head([("host", "bank.example"), ("host", "web.localhost")])
        #expect(EndpointHandler.http2Problem(differ, hosts: differ.headers["host"], limits: limits) == .badRequest(":authority and Host name different hosts"))
        let same = head([("host", "web.localhost"), ("Host", "WEB.localhost")])
        #expect(EndpointHandler.http2Problem(same, hosts: same.headers["host"], limits: limits) == nil)
        let big = head([("host", "web.localhost"), ("x-big", String(repeating: "x", count: limits.headBytes))])
        #expect(EndpointHandler.http2Problem(big, hosts: big.headers["host"], limits: limits) == .headTooLarge)
        let many = head([("host", "web.localhost")] + (0..<limits.headerLines).map { ("x-\($0)", "1") })
        #expect(EndpointHandler.http2Problem(many, hosts: many.headers["host"], limits: limits) == .headTooLarge)
    }

    @Test("an absolute-form target goes on (and into a redirect) in origin form")
    func originForm() {
        #expect(ProxyHeaders.originForm("http://evil.example/x?y=1") == "/x?y=1")
        #expect(ProxyHeaders.originForm("http://web.localhost?q") == "/?q")
        #expect(ProxyHeaders.originForm("https://web.localhost") == "/")
        #expect(ProxyHeaders.originForm("/a/b?c") == "/a/b?c" && ProxyHeaders.originForm("*") == "*")
        let h = HTTPRequestHead(version: .http1_1, method: .GET, uri: "http://evil.example/x", headers: HTTPHeaders([("host", "web.localhost")]))
        #expect(ProxyHeaders.request(h, client: nil).uri == "/x")
    }

    @Test("the connection cap follows the open-files limit; serve raises that limit to its hard maximum")
    func connectionCap() {
        var l = ServeLimits()
        l.fit(descriptors: 65_536)
        #expect(l.connections == 1024 && l.upstreamPoolSize == 256)
        l.fit(descriptors: 1024)
        #expect(l.connections == 320 && l.upstreamPoolSize == 80)
        var before = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &before)
        let now = ServeLimits.raiseDescriptorLimit()
        #expect(now >= Int(min(before.rlim_cur, 65_536)) && now <= Int(min(before.rlim_max, 65_536)) || now == Int(before.rlim_cur))
    }
}
