import PortKit
import SystemPackage
import Glibc

/// What can go wrong with the local CA, each with its one line and its
/// exit status (sysexits(3); README's table).
public enum TrustError: UserFacingError, Equatable {
    /// `portdash trust` has not made one in `directory` yet.
    case noCA(directory: String)
    /// The CA directory (or a directory above it that we made) lets someone else in.
    case unsafeDirectory(directory: String, mode: UInt32, owner: UInt32)
    /// The key file can be read by others, is another user's, or is not a plain file.
    case unsafeKey(path: String, problem: String)
    /// A file of the CA does not parse, or the files do not belong together.
    case damaged(path: String, problem: String)
    case cannotWrite(path: String, errno: Errno)
    /// `issueLeaf` was asked for a name the CA must not sign.
    case notLocal(LeafRefusal)
    /// swift-certificates or swift-crypto refused to build or sign.
    case signing(String)

    public var description: String {
        switch self {
        case .noCA(let directory):
            return "no local CA in \(sanitized(directory)) yet; make one with: portdash trust"
        case .unsafeDirectory(let directory, let mode, let owner):
            let fix = owner == geteuid() ? "fix it with: chmod 700 \(sanitized(directory))" : "use a CA directory of your own (XDG_DATA_HOME)"
            return "the CA directory \(sanitized(directory)) \(PrivateDirectory.reason(mode: mode, owner: owner, rootMayOwn: false)), "
                + "so someone else could replace the CA; \(fix)"
        case .unsafeKey(let path, let problem):
            let fix = problem.hasPrefix("belongs to") ? "use your own CA (portdash trust as yourself)" : "chmod 600 \(sanitized(path))"
            return "the CA key \(sanitized(path)) \(problem); fix it with: \(fix), "
                + "or remove the directory and run portdash trust again"
        case .damaged(let path, let problem):
            let first = path.hasSuffix("/ca.pem") ? "" : "run portdash trust --uninstall, "
            return "the CA file \(sanitized(path)) is damaged (\(sanitized(problem))); "
                + first + "move the directory away, then portdash trust"
        case .cannotWrite(let path, let err):
            return "cannot write \(sanitized(path)): \(errnoText(err)); fix the permissions there, or set XDG_DATA_HOME to a directory of yours"
        case .notLocal(let r):
            return "the local CA signs only localhost, *.localhost, 127.0.0.0/8 and ::1: \(sanitized(r.why))"
        case .signing(let problem):
            return "cannot build a certificate: \(sanitized(problem))"
        }
    }

    public var exitCode: Int32 {
        switch self {
        case .noCA: return 66           // EX_NOINPUT
        case .unsafeDirectory, .unsafeKey: return 77  // EX_NOPERM
        case .damaged, .notLocal: return 65  // EX_DATAERR
        case .cannotWrite: return 73    // EX_CANTCREAT
        case .signing: return 70        // EX_SOFTWARE
        }
    }
}
