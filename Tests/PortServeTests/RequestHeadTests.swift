import Testing
@testable import PortServe

@Suite("HTTP request heads (the bounded parser)")
struct RequestHeadTests {
    func parse(_ text: String) throws(HTTPFailure) -> RequestHead {
        try RequestHead.parse(Array(text.utf8)[...], maxHeaders: 4)
    }

    @Test("a GET with a query and headers")
    func get() throws {
        let h = try parse("GET /port-status?port=1&port=2 HTTP/1.1\r\nHost: localhost:5099\r\nConnection: close")
        #expect(h.method == "GET" && h.path == "/port-status" && h.query == "port=1&port=2")
        #expect(h.values("host") == ["localhost:5099"])
        #expect(!h.keepAlive && !h.announcesBody)
        #expect(try parse("GET / HTTP/1.1\nHost: x").keepAlive)
        #expect(try !parse("GET / HTTP/1.0\r\nHost: x").keepAlive)
        #expect(try parse("GET / HTTP/1.1\r\nContent-Length: 3").announcesBody)
        #expect(try parse("GET / HTTP/1.1\r\nTransfer-Encoding: chunked").announcesBody)
    }

    @Test("malformed heads are refused with the status they deserve", arguments: [
        ("GET /", HTTPFailure.badRequest("malformed request line")),
        ("GET  / HTTP/1.1", .badRequest("malformed request line")),
        ("GET http://x/ HTTP/1.1", .badRequest("malformed request line")),
        ("GET / HTTP/2.0", .versionNotSupported("HTTP/2.0")),
        ("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5", .headTooLarge),
        ("GET / HTTP/1.1\r\nBad Name: 1", .badRequest("malformed header name")),
        ("GET / HTTP/1.1\r\n folded", .badRequest("malformed header line")),
        ("GET / HTTP/1.1\r\nHost: \u{1B}[31m", .badRequest("request head has bytes other than printable ASCII")),
        ("GET /caf\u{E9} HTTP/1.1", .badRequest("request head has bytes other than printable ASCII")),
    ])
    func refused(_ text: String, _ failure: HTTPFailure) {
        #expect(throws: failure) { try parse(text) }
    }

    @Test("the head ends at CRLF CRLF or LF LF; a pipelined request stays for the next read")
    func terminator() {
        #expect(HeadReader.terminator(in: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\nGET".utf8))! == (23, 4))
        #expect(HeadReader.terminator(in: Array("GET / HTTP/1.1\nHost: x\n\n".utf8))! == (22, 2))
        #expect(HeadReader.terminator(in: Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8)) == nil)
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
