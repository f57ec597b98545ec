import Glibc

/// The one place an IPv4 or IPv6 socket address is built for bind(2): the
/// bind probe's wildcards and serve's listen address.
public enum SocketAddress {
    /// bind(2) `fd` to `host` (nil: the wildcard, 0.0.0.0 or ::) and `port`.
    /// Returns bind's result; on -1, errno says why.
    public static func bind(_ fd: Int32, host: String?, port: UInt16, ipv6: Bool) -> Int32 {
        if ipv6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            if let host { _ = host.withCString { inet_pton(AF_INET6, $0, &sa.sin6_addr) } }
            return bindRaw(fd, &sa)
        }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        if let host { _ = host.withCString { inet_pton(AF_INET, $0, &sa.sin_addr) } }
        return bindRaw(fd, &sa)
    }

    static func bindRaw<Address>(_ fd: Int32, _ sa: inout Address) -> Int32 {
        withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<Address>.size)) }
        }
    }
}
