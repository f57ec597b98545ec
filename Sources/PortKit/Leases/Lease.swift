#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A process a lease is bound to: the pid alone is not enough (pids are
/// reused), so the start time from /proc/PID/stat field 22 goes with it.
public struct LeaseOwner: Codable, Sendable, Equatable, Hashable {
    public var pid: Int32
    public var startTime: UInt64
    public init(pid: Int32, startTime: UInt64) { self.pid = pid; self.startTime = startTime }
}

/// One port handed to one service name.
public struct Lease: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// Static, never expires (a DHCP host reservation).
        case reservation
        /// Dynamic: ends with its owner process or its TTL.
        case lease
    }

    public var service: String
    public var port: UInt16
    public var kind: Kind
    /// Seconds since the epoch.
    public var granted: Int64
    /// Seconds since the epoch; nil for reservations and for process-bound
    /// leases without a TTL (they last as long as the process).
    public var expires: Int64?
    public var owner: LeaseOwner?
    /// The TTL the lease was granted with, reapplied on renewal.
    public var ttl: Int64?

    enum CodingKeys: String, CodingKey { case service, port, kind, granted, expires, owner, ttl }

    /// Decodes the port as a plain number first, so 70000 or -1 is reported
    /// as a bad port rather than as "not valid JSON".
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        service = try c.decode(String.self, forKey: .service)
        port = try decodePort(c, .port)
        kind = try c.decode(Kind.self, forKey: .kind)
        granted = try c.decode(Int64.self, forKey: .granted)
        expires = try c.decodeIfPresent(Int64.self, forKey: .expires)
        owner = try c.decodeIfPresent(LeaseOwner.self, forKey: .owner)
        ttl = try c.decodeIfPresent(Int64.self, forKey: .ttl)
    }

    public init(service: String, port: UInt16, kind: Kind, granted: Int64, expires: Int64? = nil,
                owner: LeaseOwner? = nil, ttl: Int64? = nil) {
        self.service = service; self.port = port; self.kind = kind; self.granted = granted
        self.expires = expires; self.owner = owner; self.ttl = ttl
    }
}

/// How a lease stands right now.
public enum LeaseStatus: String, Codable, Sendable {
    /// A reservation: always holds its port.
    case reserved
    /// Valid, and its holder is listening (or its owner process is alive).
    case active
    /// Valid, but nothing listens on the port.
    case idle
    /// Past its TTL, or its owner process is gone: the port is back in the pool.
    case expired
}

/// A port number from JSON: any integer is read, then checked to be 0...65535
/// (0 is refused later with its own message).
func decodePort<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> UInt16 {
    let value = try c.decode(Int64.self, forKey: key)
    guard let port = UInt16(exactly: value) else {
        throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "\(value) is not a port (1-65535)")
    }
    return port
}
