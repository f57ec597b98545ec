/// A parsed HTTP/1.x request line and headers (RFC 9112 §3, §5). The
/// server reads no bodies: a request that announces one is refused.
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

    /// Every value of a header, by case-insensitive name.
    func values(_ name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name.lowercased() == lower }.map(\.value)
    }

    /// HTTP/1.1 keeps the connection unless told to close; HTTP/1.0 closes.
    var keepAlive: Bool {
        let tokens = values("Connection").flatMap { $0.lowercased().split(separator: ",") }
            .map { $0.trimmingCharacters(in: " \t") }
        return version == "HTTP/1.1" && !tokens.contains("close")
    }

    /// Whether the request says a body follows (Content-Length > 0 or any Transfer-Encoding).
    var announcesBody: Bool {
        !values("Transfer-Encoding").isEmpty || values("Content-Length").contains { $0 != "0" }
    }

    /// Parses the bytes before the blank line (the CRLF CRLF not included).
    static func parse(_ bytes: ArraySlice<UInt8>, maxHeaders: Int) throws(HTTPFailure) -> RequestHead {
        guard bytes.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 < 127) || $0 == 10 || $0 == 13 }) else {
            throw .badRequest("request head has bytes other than printable ASCII")
        }
        // Split bytes, not characters: "\r\n" is one Character in Swift.
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false)
            .map { Substring(String(decoding: $0.last == 13 ? $0.dropLast() : $0, as: UTF8.self)) }
        guard let first = lines.first else { throw .badRequest("empty request") }
        let parts = first.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, parts[1].hasPrefix("/") || parts[1] == "*" else {
            throw .badRequest("malformed request line")
        }
        let version = String(parts[2])
        guard version == "HTTP/1.1" || version == "HTTP/1.0" else { throw .versionNotSupported(version) }
        guard lines.count - 1 <= maxHeaders else { throw .headTooLarge }
        let headers = try lines.dropFirst().map { line throws(HTTPFailure) in try header(line) }
        let target = parts[1]
        let q = target.firstIndex(of: "?")
        return RequestHead(method: String(parts[0]), path: String(target[..<(q ?? target.endIndex)]),
                           query: q.map { String(target[target.index(after: $0)...]) } ?? "",
                           version: version, headers: headers)
    }

    static func header(_ line: Substring) throws(HTTPFailure) -> (name: String, value: String) {
        guard let colon = line.firstIndex(of: ":"), colon > line.startIndex else {
            throw .badRequest("malformed header line")
        }
        let name = line[..<colon]
        // No whitespace in a field name (RFC 9112 §5.1), which also refuses obsolete line folding.
        guard !name.contains(where: { $0 == " " || $0 == "\t" }) else { throw .badRequest("malformed header name") }
        return (String(name), line[line.index(after: colon)...].trimmingCharacters(in: " \t"))
    }
}

extension StringProtocol {
    /// Without leading and trailing characters of `set` (no Foundation).
    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        guard let start = firstIndex(where: { !chars.contains($0) }),
              let end = lastIndex(where: { !chars.contains($0) }) else { return "" }
        return String(self[start...end])
    }
}
