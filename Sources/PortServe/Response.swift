import NIOCore
import NIOHTTP1
import PortKit

/// A complete response: status, a Content-Type (every response has one),
/// a few extra headers, and the body. No CORS header is ever added.
struct Response: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []
    /// A stream (SSE): no Content-Length.
    var streamed = false

    static let json = "application/json"
    static let metrics = "text/plain; version=0.0.4; charset=utf-8"
    static let eventStream = "text/event-stream"
    static let text = "text/plain; charset=utf-8"
    static let html = "text/html; charset=utf-8"
    /// Pages of ours: nothing from elsewhere, no inline script.
    static let pageHeaders = [("Content-Security-Policy", "default-src 'self'"), ("Referrer-Policy", "no-referrer")]

    init(status: Int, contentType: String, body: String, extraHeaders: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
        self.extraHeaders = extraHeaders
    }

    /// `{"error": why}`, JSON-escaped by the one JSON writer.
    static func error(_ status: Int, _ why: String, extraHeaders: [(String, String)] = []) -> Response {
        Response(status: status, contentType: json,
                 body: JSONNode.object([("error", .string(why))]).serialized() + "\n", extraHeaders: extraHeaders)
    }

    static func jsonBody(_ text: String) -> Response { Response(status: 200, contentType: json, body: text + "\n") }

    /// The status line and headers; no Content-Length for a stream.
    func head(version: HTTPVersion = .http1_1, close: Bool) -> HTTPResponseHead {
        var h = HTTPHeaders()
        h.add(name: "Content-Type", value: contentType)
        if !streamed { h.add(name: "Content-Length", value: String(body.count)) }
        h.add(name: "Cache-Control", value: "no-store")
        h.add(name: "X-Content-Type-Options", value: "nosniff")
        for (n, v) in extraHeaders { h.add(name: n, value: v) }
        h.add(name: "Connection", value: close ? "close" : "keep-alive")
        return HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status, reasonPhrase: Response.reason(status)), headers: h)
    }

    /// The whole response as raw bytes, for the few answers written below the HTTP encoder (408, 431, 503 on overload).
    func raw() -> [UInt8] {
        var lines = ["HTTP/1.1 \(status) \(Response.reason(status))", "Content-Type: \(contentType)",
                     "Content-Length: \(body.count)", "Cache-Control: no-store", "X-Content-Type-Options: nosniff"]
        lines += extraHeaders.map { "\($0.0): \($0.1)" }
        lines.append("Connection: close")
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 421: return "Misdirected Request"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        case 508: return "Loop Detected"
        default: return HTTPResponseStatus(statusCode: status).reasonPhrase
        }
    }
}
