import NIOHTTP1
import Testing
@testable import PortServe

@Suite("HTTP request heads (after NIOHTTP1's parser)")
struct RequestHeadTests {
    func head(_ uri: String, version: HTTPVersion = .http1_1, _ headers: [(String, String)] = []) throws(HTTPFailure) -> RequestHead {
        try RequestHead(HTTPRequestHead(version: version, method: .GET, uri: uri, headers: HTTPHeaders(headers)))
    }

    @Test("a GET with a query and headers")
    func get() throws {
        let h = try head("/port-status?port=1&port=2", [("Host", "localhost:5099"), ("Connection", "close")])
        #expect(h.method == "GET" && h.path == "/port-status" && h.query == "port=1&port=2")
        #expect(h.values("host") == ["localhost:5099"])
        #expect(!h.keepAlive && !h.announcesBody)
        #expect(try head("/", [("Host", "x")]).keepAlive)
        #expect(try !head("/", version: .http1_0, [("Host", "x")]).keepAlive)
        #expect(try head("/", [("Content-Length", "3")]).announcesBody)
        #expect(try head("/", [("Transfer-Encoding", "chunked")]).announcesBody)
    }

    @Test("what the parser lets through but serve refuses")
    func refused() {
        #expect(throws: HTTPFailure.badRequest("malformed request line")) { try head("http://x/") }
        #expect(throws: HTTPFailure.versionNotSupported("HTTP/2.0")) { try head("/", version: .http2) }
        #expect(throws: HTTPFailure.badRequest("request head has bytes other than printable ASCII")) { try head("/", [("Host", "\u{1B}[31m")]) }
        #expect(throws: HTTPFailure.badRequest("request head has bytes other than printable ASCII")) { try head("/caf\u{E9}") }
    }

    @Test("/port-status queries: the pool, all=1, repeated port=, and nothing else")
    func queries() throws {
        #expect(try PortStatusQuery(parsing: "", maxPorts: 2) == .pool)
        #expect(try PortStatusQuery(parsing: "all=1", maxPorts: 2) == .all)
        #expect(try PortStatusQuery(parsing: "port=3000&port=8080", maxPorts: 2) == .ports([3000, 8080]))
        for bad in ["port=0", "port=70000", "port=x", "all=2", "all=1&port=1", "port=1&port=2&port=3", "mine=1"] {
            #expect(throws: HTTPFailure.self, "\(bad)") { try PortStatusQuery(parsing: bad, maxPorts: 2) }
        }
    }
}
