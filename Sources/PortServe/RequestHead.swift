import PortKit
import NIOHTTP1

/// A request line and headers as the server reads them (NIOHTTP1's parser
/// did the parsing, within ServeLimits), split into path and query.
struct RequestHead: Sendable, Equatable {
    var method: String
    /// The path part of the target, undecoded ("/port-status").
    var path: String
    /// The query part, undecoded ("port=3000&port=8080"), empty if none.
    var query: String
    /// "HTTP/1.1" or "HTTP/1.0".
    var version: String
    /// Header lines in order, names as sent.
    var headers: [(name: String, value: String)]

    static func == (a: RequestHead, b: RequestHead) -> Bool {
        a.method == b.method && a.path == b.path && a.query == b.query && a.version == b.version
            && a.headers.map(\.name) == b.headers.map(\.name) && a.headers.map(\.value) == b.headers.map(\.value)
    }

    init(method: String, path: String, query: String, version: String, headers: [(name: String, value: String)]) {
        self.method = method; self.path = path; self.query = query; self.version = version; self.headers = headers
    }

    /// From the parser's head; refuses what the old hand-written reader refused:
    /// versions other than 1.0 and 1.1 (and 2 on an HTTP/2 stream), targets
    /// that are not a path, and bytes other than printable ASCII (a terminal
    /// escape in a Host never reaches a log).
    init(_ head: HTTPRequestHead, http2: Bool = false) throws(HTTPFailure) {
        guard (head.version.major == 1 && head.version.minor <= 1) || (http2 && head.version.major == 2) else {
            throw .versionNotSupported("HTTP/\(head.version.major).\(head.version.minor)")
        }
        let target = head.uri
        guard target.hasPrefix("/") || target == "*" else { throw .badRequest("malformed request line") }
        func printable(_ s: String) -> Bool { s.utf8.allSatisfy { $0 == 9 || ($0 >= 32 && $0 < 127) } }
        guard printable(target), head.headers.allSatisfy({ printable($0.name) && printable($0.value) }) else {
            throw .badRequest("request head has bytes other than printable ASCII")
        }
        let q = target.firstIndex(of: "?")
        self.init(method: head.method.rawValue, path: String(target[..<(q ?? target.endIndex)]),
                  query: q.map { String(target[target.index(after: $0)...]) } ?? "",
                  version: "HTTP/\(head.version.major).\(head.version.minor)",
                  headers: head.headers.map { (name: $0.name, value: $0.value) })
    }

    /// Every value of a header, by case-insensitive name.
    func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes.
    var keepAlive: Bool {
        let tokens = values("Connection").flatMap { $0.lowercased().split(separator: ",") }
            .map { $0.trimming(" \t") }
        return version == "HTTP/1.1" && !tokens.contains("close")
    }

    /// Whether the request says a body follows (Content-Length > 0 or any Transfer-Encoding).
    var announcesBody: Bool {
        !values("Transfer-Encoding").isEmpty || values("Content-Length").contains { $0 != "0" }
    }
}
