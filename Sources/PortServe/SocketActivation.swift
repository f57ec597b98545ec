import PortKit
#if canImport(Glibc)
import Glibc
#endif

/// Listening sockets handed over by systemd (or `systemd-socket-activate`),
/// as sd_listen_fds(3) describes: `LISTEN_PID` is this process, `LISTEN_FDS`
/// sockets start at fd 3, `LISTEN_FDNAMES` names them (colon-separated). A
/// socket named `https` (`FileDescriptorName=https`), or bound to port 443,
/// is served over TLS. The variables are removed so that children do not
/// think the sockets are theirs.
public enum SocketActivation {
    public static let firstFD: Int32 = 3

    /// The inherited sockets with the address each listens on; empty when none were passed.
    public static func take() throws(ServeError) -> [(fd: Int32, address: ListenAddress, tls: Bool)] {
        guard let pidText = getenv("LISTEN_PID").map({ String(cString: $0) }), let countText = getenv("LISTEN_FDS").map({ String(cString: $0) })
        else { return [] }
        let names = getenv("LISTEN_FDNAMES").map { String(cString: $0).split(separator: ":", omittingEmptySubsequences: false) } ?? []
        unsetenv("LISTEN_PID"); unsetenv("LISTEN_FDS"); unsetenv("LISTEN_FDNAMES")
        guard Int32(pidText) == getpid() else { return [] }
        guard let count = Int32(countText), count > 0, count < 64 else { throw .badActivation("LISTEN_FDS=\(countText) is not a count of sockets") }
        return try (firstFD..<(firstFD + count)).map { fd throws(ServeError) in
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            guard let a = address(of: fd) else { throw .badActivation("fd \(fd) is not a listening TCP socket on IPv4 or IPv6") }
            let i = Int(fd - firstFD)
            return (fd, a, (i < names.count && names[i] == "https") || a.port == 443)
        }
    }

    /// getsockname(2) of a listening TCP socket, or nil.
    static func address(of fd: Int32) -> ListenAddress? {
        var type: Int32 = 0, listening: Int32 = 0
        var len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0, type == Int32(SOCK_STREAM.rawValue) else { return nil }
        len = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0, listening == 1 else { return nil }
        var storage = sockaddr_storage()
        len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        guard rc == 0 else { return nil }
        var text = [CChar](repeating: 0, count: 64)
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin -> ListenAddress? in
                var addr = sin.pointee.sin_addr
                guard inet_ntop(AF_INET, &addr, &text, socklen_t(text.count)) != nil else { return nil }
                return ListenAddress(ipv6: false, host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: sin.pointee.sin_port))
            } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin -> ListenAddress? in
                var addr = sin.pointee.sin6_addr
                guard inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count)) != nil else { return nil }
                return ListenAddress(ipv6: true, host: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), port: UInt16(bigEndian: sin.pointee.sin6_port))
            } }
        default:
            return nil
        }
    }
}
