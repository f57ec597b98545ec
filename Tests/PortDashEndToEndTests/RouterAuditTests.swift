import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What the router audit found, each through the real `portdash-serve`.
@Suite("the router audit: HTTP/1.0, error pages, 504, hop-by-hop Host, X-Forwarded-*, CONNECT, unasked 101, the live link")
struct RouterAuditTests {
    func routed(_ extra: [String] = []) throws -> (ServeFixture, TestUpstream) {
        let serve = try ServeFixture(extra: extra)
        let upstream = TestUpstream(port: serve.range.first, address: "127.0.0.1", dir: serve.dir)
        #expect(serve.cli(["reserve", String(upstream.port), "app"]).status == 0)
        let up = waitUntil(seconds: 60) { serve.get("/echo", host: "app.localhost:\(serve.port)")?.status == 200 }
        try #require(up, "the route to app.localhost never answered")
        return (serve, upstream)
    }

    func echo(_ serve: ServeFixture, headers: [String]) throws -> RouterTests.Echo {
        let r = try #require(serve.get("/echo", host: "app.localhost:\(serve.port)", headers: headers))
        #expect(r.status == 200)
        return try JSONDecoder().decode(RouterTests.Echo.self, from: Data(r.body.utf8))
    }

    @Test("an HTTP/1.0 client is answered in 1.0: no chunked framing, the body ends with the connection, no 1xx")
    func http10() throws {
        let (serve, upstream) = try routed()
        TestSupport.writeFile(upstream.release, "")
        let c = try #require(RawClient(port: serve.port))
        #expect(c.send("GET /chunked HTTP/1.0\r\nHost: app.localhost\r\nConnection: keep-alive\r\n\r\n"))
        #expect(c.closes(within: 30), "the connection stayed open after a response with no length: \(c.text)")
        #expect(c.text.hasPrefix("HTTP/1.0 200"))
        #expect(!c.text.lowercased().contains("transfer-encoding") && c.text.hasSuffix("\r\n\r\nfirst\nlast\n"), "\(c.text)")

        let p = try #require(RawClient(port: serve.port))
        #expect(p.send("POST /upload HTTP/1.0\r\nHost: app.localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\nhello"))
        p.readUntilClosed()
        #expect(p.text.hasPrefix("HTTP/1.0 200") && !p.text.contains("100 Continue") && p.text.hasSuffix("\r\n\r\n5"), "\(p.text)")
    }

    @Test("error pages are HTML for a browser on every path (an upstream that hangs up too), text for curl")
    func htmlOnEveryPath() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let page = try #require(serve.get("/hangup", host: "app.localhost", headers: ["Accept: text/html,*/*;q=0.8"]))
        #expect(page.status == 502 && page.header("Content-Type") == "text/html; charset=utf-8", "\(page.body)")
        #expect(page.body.contains("closed the connection without answering"))
        let text = try #require(serve.get("/hangup", host: "app.localhost"))
        #expect(text.status == 502 && text.header("Content-Type") == "text/plain; charset=utf-8")
    }

    @Test("an upstream that never answers gets 504 after --answer-timeout")
    func answerTimeout() throws {
        let (serve, upstream) = try routed(["--answer-timeout", "1"])
        defer { withExtendedLifetime(upstream) {} }
        let r = try #require(serve.get("/silent", host: "app.localhost", headers: ["Accept: text/html"]))
        #expect(r.status == 504 && r.body.contains("no answer from port \(upstream.port) in 1.0 s"), "\(r.status) \(r.body)")
    }

    @Test("Connection naming Host or Content-Length takes neither away")
    func connectionHost() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let e = try echo(serve, headers: ["Connection: host, content-length"])
        #expect(e.header("host") == ["app.localhost:\(serve.port)"])
    }

    @Test("X-Forwarded-* and Forwarded from the client are replaced, not passed on")
    func forwardedReplaced() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let e = try echo(serve, headers: ["X-Forwarded-For: 6.6.6.6", "X-Forwarded-Proto: https", "X-Forwarded-Host: bank.example",
                                          "X-Forwarded-Port: 443", "Forwarded: for=6.6.6.6;proto=https"])
        #expect(e.header("x-forwarded-for") == ["127.0.0.1"])
        #expect(e.header("x-forwarded-proto") == ["http"])
        #expect(e.header("x-forwarded-host") == ["app.localhost:\(serve.port)"])
        #expect(e.header("x-forwarded-port").isEmpty && e.header("forwarded").isEmpty)
    }

    @Test("CONNECT is refused with 405, whatever the Host")
    func connectRefused() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        for host in ["app.localhost", "localhost"] {
            let c = try #require(RawClient(port: serve.port))
            #expect(c.send("CONNECT \(host):443 HTTP/1.1\r\nHost: \(host):443\r\n\r\n"))
            c.readUntilClosed()
            #expect(c.text.hasPrefix("HTTP/1.1 405"), "\(c.text)")
        }
    }

    @Test("a 101 the client never asked for is refused with 502; its bytes never reach the client")
    func unsolicitedSwitch() throws {
        let (serve, upstream) = try routed()
        defer { withExtendedLifetime(upstream) {} }
        let c = try #require(RawClient(port: serve.port))
        #expect(c.send("GET /switch HTTP/1.1\r\nHost: app.localhost\r\n\r\n"))
        c.readUntilClosed()
        #expect(c.text.hasPrefix("HTTP/1.1 502") && c.text.contains("switched protocols (101)"), "\(c.text)")
        #expect(!c.text.contains("raw bytes"))
    }

    @Test("an error page links to the live page on the router's own port")
    func liveLink() throws {
        let serve = try ServeFixture()
        let page = try #require(serve.get("/", host: "nope.localhost", headers: ["Accept: text/html"]))
        #expect(page.status == 404 && page.body.contains("<a href=\"http://portdash.localhost:\(serve.port)/\">portdash</a>"), "\(page.body)")
    }
}
