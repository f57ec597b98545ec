import CLinux
import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// AF_UNIX stream sockets for the control channel (unix(7)).
enum UnixSocket {
    /// sun_path holds 108 bytes with its NUL.
    static let maxPath = 107

    static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.prefix(maxPath).enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }

    static func make() -> Result<Int32, Errno> {
        Syscalls.retryingInterrupts { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    /// Connects to `path`; the socket, or why not.
    static func connect(_ path: String) -> Result<Int32, Errno> {
        make().flatMap { fd in
            let r = withAddress(path) { Glibc.connect(fd, $0, $1) }
            if r == 0 { return .success(fd) }
            let e = Errno(rawValue: errno)
            close(fd)
            return .failure(e)
        }
    }
}

/// A connected client of the control socket: one request line, then the
/// replies until it closes.
public enum ControlClient {
    /// Sends `request` ("restart web") to the `up` of `root`; its reply lines.
    public static func send(_ request: String, root: String) -> Result<[String], ControlError> {
        let path = ControlPath.socket(for: root)
        guard case .success(let fd) = UnixSocket.connect(path) else { return .failure(.noRunningUp(root: root)) }
        defer { close(fd) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let line = Array((request + "\n").utf8)
        guard (try? FileDescriptor(rawValue: fd).writeAll(line)) != nil else { return .failure(.noRunningUp(root: root)) }
        let bytes: [UInt8]
        do { bytes = try Syscalls.readWhole(FileDescriptor(rawValue: fd), limit: 64 * 1024) } catch {
            return .failure(error.errno == nil ? .replyTooLarge(root: root, why: error.description) : .noReply(root: root))
        }
        return .success(String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init))
    }
}

/// Why a control request did not reach an `up`.
public enum ControlError: Error, Equatable, CustomStringConvertible {
    case noRunningUp(root: String)
    case noReply(root: String)
    case replyTooLarge(root: String, why: String)
    case refused(String)

    public var description: String {
        switch self {
        case .noRunningUp(let root): return "no portdash up runs in \(sanitized(root)); start one there with portdash up"
        case .noReply(let root): return "the portdash up of \(sanitized(root)) did not answer within 10 s"
        case .replyTooLarge(let root, let why): return "the reply of the portdash up of \(sanitized(root)) \(why); nothing was done with it"
        case .refused(let why): return why
        }
    }

    /// EX_UNAVAILABLE; a refused request is a usage matter (EX_USAGE).
    public var exitCode: Int32 {
        if case .refused = self { return 64 }
        return 69
    }
}
