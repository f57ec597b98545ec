import Glibc

/// An IP address and port as the kernel reports them.
public struct Endpoint: Sendable, Equatable, Hashable {
    public let family: AddressFamily
    /// Network-order address bytes: 4 for IPv4, 16 for IPv6.
    public let address: [UInt8]
    public let port: UInt16

    public init(family: AddressFamily, address: [UInt8], port: UInt16) {
        self.family = family
        self.address = address
        self.port = port
    }

    /// The address as a host part: IPv6 in brackets ("127.0.0.1", "[::1]"),
    /// so a port can follow. The one place brackets are added.
    public var hostText: String { family == .ipv6 ? "[\(addressText)]" : addressText }

    /// "127.0.0.1:5000", "[::1]:5000".
    public var text: String { "\(hostText):\(port)" }

    /// The address as inet_ntop(3) prints it: "127.0.0.1", "::1", "::ffff:127.0.0.1".
    public var addressText: String {
        var out = [CChar](repeating: 0, count: 64)
        let af = family == .ipv4 ? AF_INET : AF_INET6
        _ = address.withUnsafeBytes { src in inet_ntop(af, src.baseAddress, &out, socklen_t(out.count)) }
        return stringFromCBuffer(out)
    }

    /// True for 0.0.0.0 and ::, which accept connections on every address.
    public var isWildcard: Bool { address.allSatisfy { $0 == 0 } }
}
