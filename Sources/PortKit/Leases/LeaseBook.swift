#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The lease database as stored in the state file (README: "The state file").
///
///     {"version": 1,
///      "leases": [{"service": "web", "port": 5001, "kind": "lease", "granted": 1795760000,
///                  "expires": 1795763600, "ttl": 3600, "owner": {"pid": 4242, "startTime": 123456}}],
///      "lastUsed": {"web": 5001}}
public struct LeaseBook: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    /// Ten years: longer is a typo, and keeps time arithmetic far from overflow.
    public static let maxTTL: Int64 = 10 * 365 * 86400
    /// 9999-12-31.
    public static let maxTime: Int64 = 253_402_300_799

    public var version: Int
    public var leases: [Lease]
    /// service → the port it last held: after a release or an expiry the
    /// service still prefers it (Kea's hold-reclaimed affinity).
    public var lastUsed: [String: UInt16]

    enum CodingKeys: String, CodingKey { case version, leases, lastUsed }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        leases = try c.decode([Lease].self, forKey: .leases)
        let raw = try c.decodeIfPresent([String: Int64].self, forKey: .lastUsed) ?? [:]
        var ports: [String: UInt16] = [:]
        for (name, value) in raw {
            guard let p = UInt16(exactly: value) else {
                throw DecodingError.dataCorruptedError(forKey: .lastUsed, in: c, debugDescription: "\"\(name)\": \(value) is not a port (1-65535)")
            }
            ports[name] = p
        }
        lastUsed = ports
    }

    public init(leases: [Lease] = [], lastUsed: [String: UInt16] = [:]) {
        self.version = LeaseBook.currentVersion
        self.leases = leases
        self.lastUsed = lastUsed
    }

    public func lease(for service: String) -> Lease? { leases.first { $0.service == service } }
    public func lease(on port: UInt16) -> Lease? { leases.first { $0.port == port } }

    // MARK: reading and writing

    /// Parses and validates the file's bytes. Every problem becomes one line
    /// naming what is wrong; nothing is guessed or repaired here.
    public static func decode(_ bytes: [UInt8]) throws(LeaseBookProblem) -> LeaseBook {
        if bytes.isEmpty { throw LeaseBookProblem("is empty (0 bytes)") }
        if bytes.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 9 || $0 == 13 }) { throw LeaseBookProblem("holds only white space") }
        // The version first, so a newer file is reported as such, not as a type error.
        struct VersionOnly: Decodable { var version: Int? }
        let versionProbe: VersionOnly
        do {
            versionProbe = try JSONDecoder().decode(VersionOnly.self, from: Data(bytes))
        } catch {
            throw LeaseBookProblem(describe(error, bytes: bytes))
        }
        guard let version = versionProbe.version else { throw LeaseBookProblem("has no \"version\" field; it is not a portdash state file") }
        guard version == currentVersion else {
            throw LeaseBookProblem("has schema version \(version), this portdash reads version \(currentVersion); use the portdash that wrote it")
        }
        let book: LeaseBook
        do {
            book = try JSONDecoder().decode(LeaseBook.self, from: Data(bytes))
        } catch {
            throw LeaseBookProblem(describe(error, bytes: bytes))
        }
        try book.validate()
        return book
    }

    /// Checks what the types alone cannot: port numbers, uniqueness, names.
    public func validate() throws(LeaseBookProblem) {
        var ports = Set<UInt16>()
        var names = Set<String>()
        for (i, l) in leases.enumerated() {
            if l.port == 0 { throw LeaseBookProblem("leases[\(i)]: port 0 is not a port") }
            if let why = ServiceName.problem(l.service) { throw LeaseBookProblem("leases[\(i)]: service \(why)") }
            if !ports.insert(l.port).inserted { throw LeaseBookProblem("port \(l.port) is leased twice (leases[\(i)] \"\(l.service)\")") }
            if !names.insert(l.service).inserted { throw LeaseBookProblem("service \"\(l.service)\" has two leases (leases[\(i)])") }
            if l.kind == .reservation && (l.expires != nil) { throw LeaseBookProblem("leases[\(i)]: a reservation cannot expire") }
            if let o = l.owner, o.pid <= 0 { throw LeaseBookProblem("leases[\(i)]: owner pid \(o.pid) is not a process") }
            if let ttl = l.ttl, ttl <= 0 || ttl > LeaseBook.maxTTL {
                throw LeaseBookProblem("leases[\(i)]: ttl \(ttl) is not between 1 and \(LeaseBook.maxTTL) seconds")
            }
            for (name, t) in [("granted", l.granted), ("expires", l.expires ?? 0)] where t < 0 || t > LeaseBook.maxTime {
                throw LeaseBookProblem("leases[\(i)]: \(name) \(t) is not a time between 1970 and 9999")
            }
            if let o = l.owner, o.startTime > UInt64(Int64.max) { throw LeaseBookProblem("leases[\(i)]: owner startTime \(o.startTime) is out of range") }
        }
        for (name, port) in lastUsed {
            if port == 0 { throw LeaseBookProblem("lastUsed[\"\(name)\"]: port 0 is not a port") }
            if let why = ServiceName.problem(name) { throw LeaseBookProblem("lastUsed: service \(why)") }
        }
    }

    /// Stable, readable bytes: sorted keys, leases in port order.
    public func encoded() -> [UInt8] {
        var copy = self
        copy.leases.sort { $0.port < $1.port }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // Encoding plain value types cannot fail.
        return Array((try? encoder.encode(copy)) ?? Data()) + [10]
    }

    static func describe(_ error: any Error, bytes: [UInt8]) -> String {
        guard let e = error as? DecodingError else { return "is not valid JSON" }
        func path(_ keys: [any CodingKey]) -> String {
            var s = ""
            for k in keys {
                if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
            }
            return s.isEmpty ? "the top level" : s
        }
        switch e {
        case .dataCorrupted(let c):
            if c.codingPath.isEmpty { return "is not valid JSON (truncated or corrupt: \(c.debugDescription))" }
            return "field \(path(c.codingPath)): \(c.debugDescription)"
        case .keyNotFound(let key, let c):
            return "field \(path(c.codingPath + [key])) is missing"
        case .typeMismatch(let type, let c):
            return "field \(path(c.codingPath)) has the wrong type (expected \(typeName(type)))"
        case .valueNotFound(let type, let c):
            return "field \(path(c.codingPath)) is null (expected \(typeName(type)))"
        @unknown default:
            return "is not a portdash state file"
        }
    }

    static func typeName(_ t: Any.Type) -> String {
        switch t {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is UInt16.Type, is Int32.Type, is UInt64.Type: return "a number"
        case is [Any].Type: return "an array"
        default: return t == [Lease].self ? "an array" : (t == [String: UInt16].self ? "an object" : "an object")
        }
    }
}

/// What is wrong with a state file's contents (the path is added by the store).
public struct LeaseBookProblem: Error, Equatable, Sendable {
    public let text: String
    public init(_ text: String) { self.text = text }
}

/// Service names are what users type and what scripts pass: keep them to a
/// safe, printable set.
public enum ServiceName {
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "name is empty" }
        if name.utf8.count > 64 { return "name \"\(sanitized(String(name.prefix(20))))…\" is longer than 64 characters (\(name.utf8.count) bytes); use a shorter name" }
        let ok = name.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "-" || u == "_" || u == "." || u == "@" || u == ":" || u == "/"
        }
        if !ok { return "name \"\(sanitized(name))\" may only use letters, digits and - _ . @ : /" }
        if name.allSatisfy(\.isNumber) { return "name \"\(name)\" is a number; names must not look like ports" }
        return nil
    }
}
