#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Each libc call the core needs, wrapped once: EINTR is retried here and
/// failures come back as errno values, so callers decide what is a race
/// (ENOENT, ESRCH: a process vanished) and what is a real error.
enum Sys {
    static func openat(_ dirfd: Int32, _ path: UnsafePointer<CChar>, _ flags: Int32) -> Result<Int32, Errno> {
        while true {
            let fd = Glibc.openat(dirfd, path, flags | O_CLOEXEC)
            if fd >= 0 { return .success(fd) }
            if errno != EINTR { return .failure(Errno(errno)) }
        }
    }

    static func open(_ path: String, _ flags: Int32, _ mode: mode_t = 0) -> Result<Int32, Errno> {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return .success(fd) }
            if errno != EINTR { return .failure(Errno(errno)) }
        }
    }

    /// Reads a whole file opened relative to `dirfd` (AT_FDCWD for an absolute path).
    /// /proc files report size 0, so this reads until EOF into a growing buffer.
    static func readFile(_ dirfd: Int32, _ path: String, limit: Int = 64 << 20) -> Result<[UInt8], Errno> {
        let fd: Int32
        switch path.withCString({ openat(dirfd, $0, O_RDONLY) }) {
        case .success(let f): fd = f
        case .failure(let e): return .failure(e)
        }
        defer { close(fd) }
        return readAll(fd, limit: limit)
    }

    /// Reads until EOF or `limit` bytes, whichever comes first: callers that
    /// must not act on a prefix ask for one byte more than they accept.
    static func readAll(_ fd: Int32, limit: Int = 64 << 20, expected: Int = 4096) -> Result<[UInt8], Errno> {
        var buffer = [UInt8](repeating: 0, count: max(1, min(limit, expected)))
        var used = 0
        while true {
            if used == buffer.count {
                if buffer.count >= limit { break }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, limit - buffer.count)))
            }
            let n = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(fd, raw.baseAddress! + used, raw.count - used)
            }
            if n > 0 { used += n; continue }
            if n == 0 { break }
            if errno == EINTR { continue }
            return .failure(Errno(errno))
        }
        buffer.removeSubrange(used...)
        return .success(buffer)
    }

    /// Writes all of `bytes`, retrying short writes and EINTR.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Result<Void, Errno> {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset) }
            if n >= 0 { offset += n; continue }
            if errno == EINTR { continue }
            return .failure(Errno(errno))
        }
        return .success(())
    }
}

/// An errno value with a readable description.
public struct Errno: Error, Equatable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(_ rawValue: Int32) { self.rawValue = rawValue }
    public var description: String { errnoText(rawValue) }

    public static let noEntry = Errno(ENOENT)
    public static let noSuchProcess = Errno(ESRCH)
    public static let permissionDenied = Errno(EACCES)
    public static let notPermitted = Errno(EPERM)
    public static let addressInUse = Errno(EADDRINUSE)

    /// The errnos that mean "this process went away or is not ours to read":
    /// expected while walking /proc, never a failure of the scan (psutil does the same).
    public var isProcessRace: Bool {
        rawValue == ENOENT || rawValue == ESRCH || rawValue == EACCES || rawValue == EPERM
    }
}

/// A NUL-terminated C buffer as a String.
func stringFromCBuffer(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
