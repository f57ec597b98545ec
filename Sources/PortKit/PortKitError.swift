/// Every failure the core reports to a user. Each case renders as one line
/// that names the problem and, where there is one, the fix.
public enum PortKitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A /proc file could not be read at all (not Linux, /proc not mounted).
    case procUnavailable(path: String, errno: Int32)
    /// A line of a /proc table did not have the expected shape.
    case malformedProcLine(file: String, line: Int, field: String, text: String)
    /// The port range given by the user is not usable.
    case invalidRange(String)
    /// A syscall failed in a way that is not a race or a permission matter.
    case system(call: String, errno: Int32)
    /// The lease state file cannot be used; nothing was written.
    case badStateFile(path: String, problem: String)
    /// --state or $PORTDASH_STATE cannot name a state file (empty, a directory).
    case invalidStatePath(String)
    /// The state file is larger than portdash reads; none of it was read.
    case stateFileTooLarge(path: String, size: Int64, limit: Int64)
    /// The system would not let the state file be written (full disk,
    /// read-only file system, no permission): nothing was changed.
    case stateNotWritable(path: String, directory: String, errno: Int32)
    /// The state file's directory lets someone else replace the file
    /// (OpenSSH's StrictModes): writable by group or others without the
    /// sticky bit, or owned by another user than us or root.
    case unsafeStateDirectory(directory: String, mode: UInt32, owner: UInt32)
    /// Another portdash held the state lock for too long.
    case lockTimeout(path: String, seconds: Double)
    /// No port of the range could be granted.
    case poolExhausted(range: PortRange, holders: [String])
    /// A lease or reservation request cannot be met.
    case leaseRefused(String)
    /// No lease matches a release request.
    case noSuchLease(String)
    /// A kill request was refused before any signal was sent.
    case killRefused(String)
    /// A signal could not be delivered because of permissions.
    case permissionDenied(String)

    public var description: String {
        switch self {
        case .procUnavailable(let path, let err):
            return "cannot read \(path): \(errnoText(err)); portdash needs Linux with /proc mounted (mount -t proc proc /proc)"
        case .malformedProcLine(let file, let line, let field, let text):
            return "\(file) line \(line): malformed \(field) in \"\(text.prefix(120))\""
        case .invalidRange(let why):
            return why
        case .system(let call, let err):
            return "\(call) failed: \(errnoText(err))"
        case .badStateFile(let path, let problem):
            return "state file \(path): \(problem)"
        case .invalidStatePath(let why):
            return why
        case .stateFileTooLarge(let path, let size, let limit):
            return "state file \(path) is \(size) bytes, more than the \(limit >> 20) MiB (\(limit) bytes) portdash reads; "
                + "none of it was read and nothing was changed. It is not a file portdash wrote: point --state elsewhere, or move it aside yourself"
        case .stateNotWritable(let path, let directory, let err):
            return "cannot write the state file \(path): \(notWritableReason(err, directory: directory)); nothing was changed"
        case .unsafeStateDirectory(let directory, let mode, let owner):
            return unsafeDirectoryText(directory, mode: mode, owner: owner)
        case .lockTimeout(let path, let seconds):
            return "state lock \(path) still held by another portdash after \(seconds)s; retry, or find the stuck process with: fuser -v \(path)"
        case .poolExhausted(let range, let holders):
            let who = holders.isEmpty ? "" : " (" + holders.joined(separator: "; ") + ")"
            return "no free port in \(range)\(who); release one (portdash release NAME) or widen the pool with --range"
        case .leaseRefused(let why), .killRefused(let why), .permissionDenied(let why):
            return why
        case .noSuchLease(let what):
            return "no lease for \(what); see the leases with: portdash leases"
        }
    }

    /// Exit status, following sysexits(3) so scripts can tell failures apart.
    public var exitCode: Int32 {
        switch self {
        case .invalidRange: return 64            // EX_USAGE
        case .malformedProcLine: return 65       // EX_DATAERR
        case .badStateFile: return 65            // EX_DATAERR
        case .noSuchLease: return 66             // EX_NOINPUT
        case .poolExhausted: return 69           // EX_UNAVAILABLE
        case .leaseRefused: return 69            // EX_UNAVAILABLE
        case .procUnavailable: return 71         // EX_OSERR
        case .system: return 71                  // EX_OSERR
        case .invalidStatePath: return 64        // EX_USAGE
        case .stateFileTooLarge: return 65       // EX_DATAERR
        case .stateNotWritable: return 73        // EX_CANTCREAT
        case .unsafeStateDirectory: return 77    // EX_NOPERM
        case .lockTimeout: return 75             // EX_TEMPFAIL
        case .killRefused: return 77             // EX_NOPERM
        case .permissionDenied: return 77        // EX_NOPERM
        }
    }
}

/// Why a write failed, in words, with what to do about it.
func notWritableReason(_ err: Int32, directory: String) -> String {
    switch err {
    case ENOSPC: return "no space left on the device holding \(directory); free some space there (df -h \(directory)) and retry"
    case EDQUOT: return "your disk quota is used up on the device holding \(directory); free some space and retry"
    case EROFS: return "the file system holding \(directory) is read-only; remount it read-write, or use another file with --state"
    case EACCES, EPERM: return "permission denied in \(directory); fix its permissions, or use another file with --state"
    default: return errnoText(err)
    }
}

func unsafeDirectoryText(_ directory: String, mode: UInt32, owner: UInt32) -> String {
    let me = geteuid()
    if owner != me && owner != 0 {
        return "state directory \(directory) belongs to uid \(owner), who could replace the state file (it must be yours, uid \(me), or root's); use a directory of your own with --state"
    }
    let who = mode & 0o020 != 0 ? (mode & 0o002 != 0 ? "its group and others" : "its group") : "others"
    let octal = String(mode & 0o7777, radix: 8)
    return "state directory \(directory) is writable by \(who) (mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal)) "
        + "without the sticky bit, so they could replace the state file; fix it with: chmod go-w \(directory)"
}

/// strerror(3) text with the symbolic name, e.g. "Address already in use (EADDRINUSE)".
public func errnoText(_ err: Int32) -> String {
    let text = String(cString: strerror(err))
    if let name = errnoName(err) { return "\(text) (\(name))" }
    return text
}

func errnoName(_ err: Int32) -> String? {
    switch err {
    case EPERM: return "EPERM"
    case ENOENT: return "ENOENT"
    case ESRCH: return "ESRCH"
    case EACCES: return "EACCES"
    case EADDRINUSE: return "EADDRINUSE"
    case EADDRNOTAVAIL: return "EADDRNOTAVAIL"
    case EAFNOSUPPORT: return "EAFNOSUPPORT"
    case EINVAL: return "EINVAL"
    case EMFILE: return "EMFILE"
    case ENOSPC: return "ENOSPC"
    case EROFS: return "EROFS"
    case EDQUOT: return "EDQUOT"
    case EIO: return "EIO"
    default: return nil
    }
}

#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Musl)
@_exported import Musl
#endif
