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

    /// `body` with the address of `path`; ENAMETOOLONG when it does not fit
    /// sun_path: never cut (a cut path can name another checkout's socket).
    static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Result<Void, Errno> {
        guard path.utf8.count <= maxPath else { return .failure(.fileNameTooLong) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { a in
                Syscalls.retryingInterrupts { body(a, socklen_t(MemoryLayout<sockaddr_un>.size)) }.map { _ in () }
            }
        }
    }

    static func make() -> Result<Int32, Errno> {
        Syscalls.retryingInterrupts { socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0) }
    }

    /// Connects to `path`; the socket, or why not.
    static func connect(_ path: String) -> Result<Int32, Errno> {
        make().flatMap { fd in
            let r = withAddress(path) { Glibc.connect(fd, $0, $1) }
            if case .failure = r { close(fd) }
            return r.map { fd }
        }
    }

    /// A non-blocking socket listening at `path`, its file 0600.
    static func listen(_ path: String) -> Result<Int32, Errno> {
        make().flatMap { fd in
            let old = umask(0o177)
            let r = withAddress(path) { bind(fd, $0, $1) }.flatMap { Syscalls.retryingInterrupts { Glibc.listen(fd, 16) } }
            umask(old)
            if case .failure(let e) = r { close(fd); return .failure(e) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            return .success(fd)
        }
    }
}

/// A connected client of the control socket: one request line, then the
/// replies until it closes.
public enum ControlClient {
    /// Sends `request` ("restart web") to the `up` of `root`; its reply lines.
    public static func send(_ request: String, root: String, in directoryPath: String = ControlPath.directory()) -> Result<[String], ControlError> {
        let directory: ControlDirectory
        switch ControlDirectory.open(directoryPath, create: false) {
        case .success(let d): directory = d
        case .failure(.noDirectory): return .failure(.noRunningUp(root: root))
        case .failure(let e): return .failure(e)
        }
        defer { directory.close() }
        guard case .success(let fd) = UnixSocket.connect(directory.address(ControlPath.name(for: root) + ".sock")) else {
            return .failure(.noRunningUp(root: root))
        }
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
    /// A live `up` of the checkout answers there already (or holds its lock).
    case alreadyAnswered(path: String)
    /// The control directory is missing (no `up` made it).
    case noDirectory(String)
    /// The control directory is not safe to use (another's, open to others).
    case unusableDirectory(String)
    case refused(String)

    public var description: String {
        switch self {
        case .noRunningUp(let root): return "no portdash up runs in \(sanitized(root)); start one there with portdash up"
        case .noReply(let root): return "the portdash up of \(sanitized(root)) did not answer within 10 s"
        case .replyTooLarge(let root, let why): return "the reply of the portdash up of \(sanitized(root)) \(why); nothing was done with it"
        case .refused(let why): return why
        case .alreadyAnswered(let path): return "another portdash up of this checkout already answers at \(path)"
        case .noDirectory(let path): return "no control directory \(path): no portdash up runs"
        case .unusableDirectory(let why): return "cannot use the control socket: \(why)"
        }
    }

    /// EX_UNAVAILABLE; a refused request is a usage matter (EX_USAGE); a
    /// directory that is not safe, EX_NOPERM.
    public var exitCode: Int32 {
        switch self {
        case .refused: return 64
        case .unusableDirectory: return 77
        default: return 69
        }
    }
}
