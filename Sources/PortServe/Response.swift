import PortKit

/// A complete response: status, a Content-Type (every response has one),
/// a few extra headers, and the body. No CORS header is ever added.
struct Response: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []
    /// A stream (SSE): no Content-Length, ended by closing.
    var streamed = false

    static let json = "application/json"
    static let metrics = "text/plain; version=0.0.4; charset=utf-8"
    static let eventStream = "text/event-stream"

    init(status: Int, contentType: String, body: String, extraHeaders: [(String, String)] = []) {
        self.status = status
        self.contentType = contentType
        self.body = Array(body.utf8)
        self.extraHeaders = extraHeaders
    }

    /// `{"error": why}`, JSON-escaped by the one JSON writer.
    static func error(_ status: Int, _ why: String, extraHeaders: [(String, String)] = []) -> Response {
        Response(status: status, contentType: json,
                 body: JSONValue.object([("error", .string(why))]).serialized() + "\n", extraHeaders: extraHeaders)
    }

    static func jsonBody(_ text: String) -> Response { Response(status: 200, contentType: json, body: text + "\n") }

    /// The status line and headers; `bodyLength` nil for a stream ended by closing.
    static func head(status: Int, contentType: String, bodyLength: Int?, close: Bool, extra: [(String, String)]) -> String {
        var lines = ["HTTP/1.1 \(status) \(reason(status))", "Content-Type: \(contentType)"]
        if let bodyLength { lines.append("Content-Length: \(bodyLength)") }
        lines.append("Cache-Control: no-store")
        lines.append("X-Content-Type-Options: nosniff")
        lines += extra.map { "\($0.0): \($0.1)" }
        lines.append("Connection: \(close ? "close" : "keep-alive")")
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// The bytes on the wire; a HEAD request gets the same head and no body.
    func encoded(headOnly: Bool, close: Bool) -> [UInt8] {
        let h = Response.head(status: status, contentType: contentType, bodyLength: streamed ? nil : body.count,
                              close: close || streamed, extra: extraHeaders)
        return Array(h.utf8) + (headOnly ? [] : body)
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 400: return "Bad Request"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 421: return "Misdirected Request"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status \(status)"
        }
    }
}
