import PortKit
import Glibc

/// Where `serve` listens: an IPv4 or IPv6 address and a port, written
/// `127.0.0.1:5099` or `[::1]:5099` (a bare port means 127.0.0.1).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// Outside the default pool (5000-5010) and documented in docs/serve.md.
    public static let defaultPort: UInt16 = 5099
    public static let `default` = ListenAddress(ipv6: false, host: "127.0.0.1", port: defaultPort)
    /// HTTPS beside it when `portdash trust` has made the local CA (docs/serve.md, HTTPS).
    public static let defaultTLSPort: UInt16 = 5443
    public static let defaultTLS = ListenAddress(ipv6: false, host: "127.0.0.1", port: defaultTLSPort)

    public let ipv6: Bool
    /// Canonical text of the address (inet_ntop), without brackets.
    public let host: String
    public let port: UInt16

    init(ipv6: Bool, host: String, port: UInt16) {
        self.ipv6 = ipv6
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(ServeError) {
        let (hostText, portText) = try Self.split(text)
        guard let port = UInt16(portText), port > 0 else {
            throw .badListen(text: text, why: "the port must be a number from 1 to 65535")
        }
        let name = hostText.lowercased() == "localhost" ? "127.0.0.1" : hostText
        if let v4 = Self.canonical(name, family: AF_INET) {
            self.init(ipv6: false, host: v4, port: port)
        } else if let v6 = Self.canonical(name, family: AF_INET6), text.hasPrefix("[") {
            self.init(ipv6: true, host: v6, port: port)
        } else {
            throw .badListen(text: text, why: "\(hostText) is not an IPv4 address or a bracketed IPv6 address")
        }
    }

    /// "[::1]:80" → ("::1", "80"); "127.0.0.1:80" → ("127.0.0.1", "80"); "80" → ("127.0.0.1", "80").
    static func split(_ text: String) throws(ServeError) -> (String, Substring) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .badListen(text: text, why: "an IPv6 address needs brackets and a port")
            }
            return (String(text[text.index(after: text.startIndex)..<close]), text[text.index(close, offsetBy: 2)...])
        }
        guard let colon = text.lastIndex(of: ":") else {
            guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else {
                throw .badListen(text: text, why: "not ADDRESS:PORT")
            }
            return ("127.0.0.1", Substring(text))
        }
        return (String(text[..<colon]), text[text.index(after: colon)...])
    }

    static func canonical(_ text: String, family: Int32) -> String? {
        var raw = [UInt8](repeating: 0, count: 16)
        guard text.withCString({ inet_pton(family, $0, &raw) }) == 1 else { return nil }
        var out = [CChar](repeating: 0, count: 64)
        guard inet_ntop(family, raw, &out, socklen_t(out.count)) != nil else { return nil }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// 127.0.0.0/8, ::1, or an IPv4-mapped loopback (::ffff:127.x.y.z).
    public var isLoopback: Bool {
        if !ipv6 { return host.hasPrefix("127.") }
        return host == "::1" || host.hasPrefix("::ffff:127.")
    }

    /// How a Host header names this address: "127.0.0.1", "[::1]".
    public var hostName: String { ipv6 ? "[\(host)]" : host }

    public var description: String { "\(hostName):\(port)" }
}
