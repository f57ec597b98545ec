import PortKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// A response as a raw HTTP/1.1 client read it.
public struct HTTPTestResponse: Sendable {
    public let status: Int
    public let headers: [(name: String, value: String)]
    public let body: String

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// Splits "HTTP/1.1 200 OK\r\nA: b\r\n\r\nbody"; nil if there is no complete head.
    public static func parse(_ raw: [UInt8]) -> HTTPTestResponse? {
        let text = String(decoding: raw, as: UTF8.self)
        guard let end = text.firstRange(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].split(separator: "\r\n" as Character, omittingEmptySubsequences: false)
        let statusLine = lines[0].split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
        let headers = lines.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), String(String(line[line.index(after: colon)...]).trimmingPrefix(" ")))
        }
        return HTTPTestResponse(status: status, headers: headers, body: String(text[end.upperBound...]))
    }
}

/// A plain-socket HTTP client for tests (no URLSession): one connection per
/// request, `Connection: close`, read until the server closes.
public enum HTTPTestClient {
    /// A connected TCP socket to 127.0.0.1 (or ::1) at `port`, or nil.
    public static func connect(port: UInt16, ipv6: Bool = false) -> Int32? {
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var rc: Int32
        if ipv6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            _ = "::1".withCString { inet_pton(AF_INET6, $0, &sa.sin6_addr) }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            sa.sin_addr = in_addr(s_addr: UInt32(0x7F000001).bigEndian)
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        if rc != 0 { close(fd); return nil }
        return fd
    }

    /// The request text: a request line, Host (unless nil), Connection: close, and `headers`.
    public static func requestText(_ method: String, _ target: String, host: String?, headers: [String] = []) -> String {
        var lines = ["\(method) \(target) HTTP/1.1"]
        if let host { lines.append("Host: \(host)") }
        lines.append("Connection: close")
        lines += headers
        return lines.joined(separator: "\r\n") + "\r\n\r\n"
    }

    /// Sends one request and reads the whole response (until close, at most `seconds`).
    public static func get(port: UInt16, _ target: String, method: String = "GET", host: String? = nil,
                           headers: [String] = [], ipv6: Bool = false, seconds: Double = 60) -> HTTPTestResponse? {
        guard let fd = connect(port: port, ipv6: ipv6) else { return nil }
        defer { close(fd) }
        let text = requestText(method, target, host: host ?? (ipv6 ? "[::1]:\(port)" : "127.0.0.1:\(port)"), headers: headers)
        guard sendAll(fd, text) else { return nil }
        return HTTPTestResponse.parse(readUntilClosed(fd, seconds: seconds))
    }

    public static func sendAll(_ fd: Int32, _ text: String) -> Bool {
        var bytes = Array(text.utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { if errno == EINTR { continue }; return false }
            off += n
        }
        return true
    }

    /// Everything the peer sends until it closes (or `seconds` pass).
    public static func readUntilClosed(_ fd: Int32, seconds: Double) -> [UInt8] {
        var out: [UInt8] = []
        let deadline = monotonicSeconds() + seconds
        while let chunk = readSome(fd, until: deadline), !chunk.isEmpty { out += chunk }
        return out
    }

    /// One read, waiting at most until `deadline`: bytes, [] at end of stream, nil on timeout or error.
    public static func readSome(_ fd: Int32, until deadline: Double) -> [UInt8]? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let left = deadline - monotonicSeconds()
            guard left > 0 else { return nil }
            let r = poll(&p, 1, Int32(min(left, 1) * 1000))
            if r < 0 && errno == EINTR { continue }
            if r <= 0 { continue }
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = read(fd, &buf, buf.count)
            if n < 0 { if errno == EINTR { continue }; return nil }
            return Array(buf[0..<n])
        }
    }
}

/// A client of /events that reads the stream as it comes.
public final class EventStreamClient {
    public let fd: Int32
    public private(set) var received = ""

    /// Connects and sends GET /events; nil if the server cannot be reached.
    public init?(port: UInt16, path: String = "/events") {
        guard let fd = HTTPTestClient.connect(port: port) else { return nil }
        self.fd = fd
        guard HTTPTestClient.sendAll(fd, HTTPTestClient.requestText("GET", path, host: "127.0.0.1:\(port)")) else {
            close(fd)
            return nil
        }
    }

    /// Reads until `text` has arrived (true), the stream ends, or `seconds` pass.
    public func waitFor(_ text: String, seconds: Double = 120) -> Bool {
        waitFor(seconds: seconds) { $0.contains(text) }
    }

    /// Reads until what was received satisfies `condition` (true), the stream ends, or `seconds` pass.
    public func waitFor(seconds: Double = 120, _ condition: (String) -> Bool) -> Bool {
        let deadline = monotonicSeconds() + seconds
        while !condition(received) {
            guard let chunk = HTTPTestClient.readSome(fd, until: deadline), !chunk.isEmpty else { return condition(received) }
            received += String(decoding: chunk, as: UTF8.self)
        }
        return true
    }

    deinit { close(fd) }
}
