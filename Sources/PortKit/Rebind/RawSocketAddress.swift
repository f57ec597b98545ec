/// A `struct sockaddr_in` or `sockaddr_in6` as the bytes a program passed
/// to bind(2) or connect(2) (ip(7), ipv6(7)): the family in host order,
/// then the port in network order, then the address.
public struct RawSocketAddress: Sendable, Equatable {
    public private(set) var bytes: [UInt8]

    static let inet: UInt16 = 2     // AF_INET
    static let inet6: UInt16 = 10   // AF_INET6

    /// nil for any other family (a unix socket's path) or a short address.
    public init?(_ bytes: [UInt8]) {
        guard bytes.count >= 2 else { return nil }
        let family = UInt16(bytes[0]) | UInt16(bytes[1]) << 8  // sa_family_t, little-endian on x86_64 and aarch64
        switch family {
        case RawSocketAddress.inet where bytes.count >= 16: break
        case RawSocketAddress.inet6 where bytes.count >= 24: break
        default: return nil
        }
        self.bytes = bytes
    }

    public var isIPv6: Bool { bytes[0] == UInt8(RawSocketAddress.inet6) }

    /// sin_port / sin6_port: bytes 2–3, big-endian.
    public var port: UInt16 {
        get { UInt16(bytes[2]) << 8 | UInt16(bytes[3]) }
        set { bytes[2] = UInt8(newValue >> 8); bytes[3] = UInt8(newValue & 0xff) }
    }

    /// An address a connection to stays on this machine: 127.0.0.0/8,
    /// 0.0.0.0 (Linux connects it to the local host), ::1, ::, and the
    /// IPv4-mapped forms ::ffff:127.x.y.z and ::ffff:0.0.0.0.
    public var isLoopback: Bool {
        guard isIPv6 else { return isLocalIPv4(bytes[4..<8]) }
        let a = bytes[8..<24]  // sin6_addr follows the port and 4 bytes of flow info
        let head = a.prefix(10)
        guard head.allSatisfy({ $0 == 0 }) else { return false }
        let tail = Array(a.suffix(6))
        if tail[0] == 0 && tail[1] == 0 { return tail[2...4].allSatisfy { $0 == 0 } && (tail[5] == 0 || tail[5] == 1) }
        return tail[0] == 0xff && tail[1] == 0xff && isLocalIPv4(tail[2...5])
    }

    func isLocalIPv4(_ a: ArraySlice<UInt8>) -> Bool {
        a.first == 127 || a.allSatisfy { $0 == 0 }
    }
}
