import Testing
@testable import PortServe

@Suite("HTTP request heads (bounded parser)")
struct RequestHeadTests {
    func parse(_ text: String) throws(HTTPFailure) -> RequestHead {
        let bytes = Array(text.utf8)
        return try RequestHead.parse(bytes[...], maxHeaders: 4)
    }

    @Test("a GET with a query and headers")
    func get() throws {
        let h = try parse("GET /port-status?port=1&port=2 HTTP/1.1\r\nHost: localhost:5099\r\nConnection: close")
        #expect(h.method == "GET" && h.path == "/port-status" && h.query == "port=1&port=2")
        #expect(h.values("host") == ["localhost:5099"])
        #expect(!h.keepAlive)
    }
}
