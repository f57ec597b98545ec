import SystemPackage
import Glibc

/// Why `portdash hosts --write` left the hosts file as it was (or, for
/// `inPlaceWriteFailed`, what state it is in).
public enum HostsFileError: UserFacingError, Equatable {
    case cannotRead(path: String, why: String)
    case notRegularFile(path: String)
    /// Larger than portdash reads whole (`why` names the size and the limit).
    case tooLarge(path: String, why: String)
    case noEndMarker(path: String)
    /// The file was edited (or replaced) between portdash's read and its write.
    case changedMeanwhile(path: String)
    /// The new file beside it could not be made.
    case cannotWrite(path: String, errno: Errno)
    case cannotReplace(path: String, errno: Errno)
    /// A bind-mounted file's in-place write failed; `restored`: its old bytes are back.
    case inPlaceWriteFailed(path: String, errno: Errno, restored: Bool)

    public var description: String {
        switch self {
        case .cannotRead(let path, let why):
            return "cannot read \(path): \(why); give an existing hosts file"
        case .notRegularFile(let path):
            return "\(path) is not a regular file; nothing was written. Give a hosts file"
        case .tooLarge(let path, let why):
            return "\(path) \(why); nothing was written. Add the lines of portdash hosts to it yourself"
        case .noEndMarker(let path):
            return "\(path) has a \"# BEGIN portdash\" line and no \"\(HostsBlock.end)\"; nothing was written. Fix the file by hand, then run again"
        case .changedMeanwhile(let path):
            return "\(path) changed while portdash was writing it; nothing was written. Run portdash hosts --write again"
        case .cannotWrite(let path, let e):
            // Root already: sudo would change nothing (a read-only mount, an immutable file: chattr -i).
            let denied = e == .permissionDenied || e == .readOnlyFileSystem || e == .notPermitted
            let fix = !denied ? "" : geteuid() == 0 ? "; check that its file system is writable and the file not immutable (lsattr)"
                : "; run it as root: sudo portdash hosts --write"
            return "cannot write \(path) (or a new file beside it): \(errnoText(e)); nothing was written\(fix)"
        case .cannotReplace(let path, let e):
            return "cannot replace \(path): \(errnoText(e)); nothing was written"
        case .inPlaceWriteFailed(let path, let e, let restored):
            return "writing \(path) in place failed: \(errnoText(e)); "
                + (restored ? "its old contents are back" : "it may be cut short: check it, and restore it from a backup if needed")
        }
    }

    /// sysexits(3).
    public var exitCode: Int32 {
        switch self {
        case .cannotRead: return 66  // EX_NOINPUT
        case .notRegularFile, .tooLarge, .noEndMarker: return 65  // EX_DATAERR
        case .changedMeanwhile: return 75  // EX_TEMPFAIL
        case .cannotWrite(_, let e): return e == .permissionDenied || e == .notPermitted ? 77 : 73  // EX_NOPERM, EX_CANTCREAT
        case .cannotReplace: return 73
        case .inPlaceWriteFailed: return 74  // EX_IOERR
        }
    }
}
