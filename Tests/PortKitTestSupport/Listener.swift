import CLinux
import PortKit
import SystemPackage
import Glibc

/// A real listening TCP socket owned by the test process, closed on deinit.
public final class Listener {
    public let fd: Int32
    public let port: UInt16
    public let family: AddressFamily

    /// Listens on `address` ("127.0.0.1", "::1", "0.0.0.0", "::", "::ffff:127.0.0.1").
    public init(port: UInt16, address: String = "127.0.0.1", v6only: Bool = true) throws {
        let isV6 = address.contains(":")
        family = isV6 ? .ipv6 : .ipv4
        self.port = port
        fd = socket(isV6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Errno(rawValue: errno) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var rc: Int32
        if isV6 {
            var v6: Int32 = v6only ? 1 : 0
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6, socklen_t(MemoryLayout<Int32>.size))
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            _ = address.withCString { inet_pton(AF_INET6, $0, &sa.sin6_addr) }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            _ = address.withCString { inet_pton(AF_INET, $0, &sa.sin_addr) }
            rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard rc == 0, listen(fd, 16) == 0 else {
            let e = errno
            Glibc.close(fd)
            throw Errno(rawValue: e)
        }
    }

    /// The socket's inode, as /proc/net/tcp lists it.
    public var inode: UInt64 {
        var st = stat()
        fstat(fd, &st)
        return UInt64(st.st_ino)
    }

    /// Opens a client connection to this listener and accepts it, so the port
    /// also has an ESTABLISHED socket. Returns (client fd, server fd).
    public func connectLoopback() -> (Int32, Int32) {
        let c = socket(family == .ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        if family == .ipv6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = port.bigEndian
            _ = "::1".withCString { inet_pton(AF_INET6, $0, &sa.sin6_addr) }
            _ = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
        } else {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_port = port.bigEndian
            _ = "127.0.0.1".withCString { inet_pton(AF_INET, $0, &sa.sin_addr) }
            _ = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(c, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        // Close-on-exec from the start: a child another test spawns meanwhile
        // must not inherit the connection (and keep it open after close()).
        let s = pd_accept4(fd, Int32(SOCK_CLOEXEC.rawValue))
        return (c, s)
    }

    private var closed = false
    /// Closes once: a second close(2) could hit a descriptor another test
    /// thread has opened since, which is exactly the kind of flake to avoid.
    public func close() {
        if !closed { _ = Glibc.close(fd); closed = true }
    }
    deinit { close() }
}
