import SystemPackage

/// Why a file could not be read whole (`Syscalls.readWhole`): it is larger
/// than the reader takes, or a system call failed. A reader never gets a
/// prefix in place of the file (swift-nio's `NIOTooManyBytesError` carries
/// its limit the same way).
public enum WholeFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// More than `limit` bytes: `size` is what fstat(2) reported, nil when it
    /// did not know (a /proc file, a socket) or the file grew while read.
    case tooLarge(size: Int64?, limit: Int64)
    case system(Errno)

    /// "is 5242880 bytes, more than the 4 MiB (4194304 bytes) portdash reads", "cannot be read: …".
    public var description: String {
        switch self {
        case .tooLarge(let size, let limit):
            return "is " + (size.map { "\($0) bytes" } ?? "more than \(limit) bytes") + ", more than the \(WholeFileError.amount(limit)) portdash reads"
        case .system(let e):
            return "cannot be read: \(errnoText(e))"
        }
    }

    /// The errno of a failed call; nil for a file that is too large.
    public var errno: Errno? {
        if case .system(let e) = self { return e }
        return nil
    }

    /// "4 MiB (4194304 bytes)", "4096 bytes".
    static func amount(_ bytes: Int64) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB (\(bytes) bytes)" : "\(bytes) bytes"
    }
}
