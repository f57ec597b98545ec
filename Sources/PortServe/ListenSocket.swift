import PortKit
import Glibc

/// The listening socket, made with the plain calls so that a failure comes
/// back as its errno (SwiftNIO takes it over once it listens).
public enum ListenSocket {
    public static func open(_ a: ListenAddress, backlog: Int32 = 128) throws(ServeError) -> Int32 {
        let fd = socket(a.ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .cannotListen(a, errno: errno) }
        var on: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        // A restart must not wait for the last run's TIME_WAITs; this does not let two servers share the port.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, size)
        if a.ipv6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, size) }
        let rc = SocketAddress.bind(fd, host: a.host, port: a.port, ipv6: a.ipv6)
        guard rc == 0, listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            throw .cannotListen(a, errno: e)
        }
        return fd
    }
}
