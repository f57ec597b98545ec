import CLinux
import SystemPackage
import Glibc

/// Every failure the core reports to a user: /proc, sockets, the state file,
/// the lease pool, kill. Each case renders as one line that names the
/// problem and, where there is one, the fix. Projects' errors are
/// PortProject's ProjectError; the verbs' own are the CLI's CommandError.
public enum PortKitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A /proc file could not be read at all (not Linux, /proc not mounted).
    case procUnavailable(path: String, errno: Errno)
    /// A /proc file larger than portdash reads whole (`why` names its size and the limit).
    case procFileTooLarge(path: String, why: String)
    /// A line of a /proc table did not have the expected shape.
    case malformedProcLine(file: String, line: Int, field: String, text: String)
    /// The port range given by the user is not usable.
    case invalidRange(String)
    /// A syscall failed in a way that is not a race or a permission matter.
    case system(call: String, errno: Errno)
    /// The lease state file cannot be used; nothing was written.
    case badStateFile(path: String, problem: String)
    /// --state or $PORTDASH_STATE cannot name a state file (empty, a directory).
    case invalidStatePath(String)
    /// The state file is larger than portdash reads; none of it was read.
    case stateFileTooLarge(path: String, size: Int64, limit: Int64)
    /// A newer portdash wrote the state file (a schema version above ours): valid, left alone.
    case newerStateFile(path: String, version: Int64)
    /// A change would make the state file larger than portdash reads; not written.
    case stateWouldBeTooLarge(path: String, size: Int64, limit: Int64)
    /// The system would not let the state file be written (full disk,
    /// read-only file system, no permission): nothing was changed.
    case stateNotWritable(path: String, directory: String, errno: Errno)
    /// The state file's directory lets someone else replace the file
    /// (OpenSSH's StrictModes): writable by group or others without the
    /// sticky bit, or owned by another user than us or root.
    case unsafeStateDirectory(directory: String, mode: UInt32, owner: UInt32)
    /// Another portdash held the state lock for too long.
    case lockTimeout(path: String, seconds: Double)
    /// No port of the range could be granted; why not, port by port.
    case poolExhausted(range: PortRange, obstacles: [Obstacle])
    /// A port asked for (with --preferred, or to reserve) is outside the pool.
    case outsidePool(port: UInt16, range: PortRange, reserving: Bool)
    /// The service's reservation is held by a process that is not its leaseholder.
    case reservationBlocked(service: String, obstacle: Obstacle)
    /// The service's lease belongs to another running process (a second
    /// `run web`; for a project's lease, a second `up` of the checkout).
    case leasedToRunningProcess(service: String, pid: Int32, port: UInt16, ofProject: Bool = false)
    /// The service's process-bound lease cannot be renewed where it is, and is not moved.
    case boundLeaseBlocked(service: String, obstacle: Obstacle, pid: Int32)
    /// A reservation of a port that another service or a process has.
    case portUnavailable(Obstacle)
    /// --pid names no running process.
    case noSuchProcess(pid: Int32)
    /// No lease matches a release request.
    case noSuchLease(String)
    /// The lease of a service a running `portdash up` runs (LeasePolicy.runningUp): up's to end.
    case heldByRunningUp(port: UInt16, label: String, service: String, root: String)
    /// A kill request was refused before any signal was sent.
    case killRefused(String)
    /// A signal could not be delivered because of permissions.
    case permissionDenied(String)
    /// A service name given by the user that cannot be a name.
    case invalidName(problem: String)
    /// `binds` cannot work on this machine, or for this program; nothing was started.
    case rebindUnavailable(String)

    public var description: String {
        switch self {
        case .procUnavailable(let path, let err):
            return "cannot read \(path): \(errnoText(err)); portdash needs Linux with /proc mounted (mount -t proc proc /proc)"
        case .procFileTooLarge(let path, let why):
            return "\(path) \(why); none of it was used"
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
        case .newerStateFile(let path, let version):
            return "state file \(path) was written by a newer portdash (schema version \(version); this one reads "
                + "\(LeaseBook.readableVersions.lowerBound) to \(LeaseBook.currentVersion)); nothing was changed. Use the newer portdash, or point --state at another file"
        case .stateWouldBeTooLarge(let path, let size, let limit):
            return "not writing the state file \(path): it would be \(size) bytes, more than the \(limit >> 20) MiB portdash reads; nothing was changed. Release leases you no longer need (portdash leases)"
        case .stateNotWritable(let path, let directory, let err):
            return "cannot write the state file \(path): \(notWritableReason(err, directory: directory)); nothing was changed"
        case .unsafeStateDirectory(let directory, let mode, let owner):
            return unsafeDirectoryText(directory, mode: mode, owner: owner)
        case .lockTimeout(let path, let seconds):
            return "state lock \(path) still held by another portdash after \(seconds)s; retry, or find the stuck process with: fuser -v \(path)"
        case .poolExhausted(let range, let obstacles):
            let who = obstacles.isEmpty ? "" : " (" + BriefList.text(obstacles.map(\.description), separator: "; ") + ")"
            return "no free port in \(range)\(who); release one (portdash release NAME) or widen the pool with --range"
        case .outsidePool(let port, let range, let reserving):
            return reserving
                ? "port \(port) is outside the pool \(range); reserve a port inside it or widen the pool with --range"
                : "preferred port \(port) is outside the pool \(range); pick one inside it or widen the pool with --range"
        case .reservationBlocked(let service, let obstacle):
            return "\(service)'s reserved port: \(obstacle); stop that process, or release the reservation"
        case .leasedToRunningProcess(let service, let pid, let port, let ofProject):
            return "\(service) is leased to a running process (pid \(pid)) on \(port); "
                + (ofProject ? "it runs already (another portdash up of this checkout?): stop that one first" : "use another name, or stop that process")
        case .boundLeaseBlocked(let service, let obstacle, let pid):
            return "\(service)'s port \(obstacle); it is bound to pid \(pid), so it is not moved"
        case .portUnavailable(.leased(let port, let service, let kind, let ofProject)):
            // A project's lease ("web · shop@main") is released by its port.
            return "port \(port) is \(kind == .reservation ? "reserved" : "leased") to \(service); release it first: portdash release \(ofProject ? String(port) : service)"
        case .portUnavailable(.held(let port, let holder, _)):
            return "port \(port) is held by \(holder); stop it, or reserve another port"
        case .noSuchProcess(let pid):
            return "no process with pid \(pid); pass a running process with --pid"
        case .killRefused(let why), .permissionDenied(let why), .rebindUnavailable(let why):
            return why
        case .noSuchLease(let what):
            return "no lease for \(what); see the leases with: portdash leases"
        case .heldByRunningUp(let port, let label, let service, let root):
            return "\(port) (\(label)) belongs to the portdash up running in \(root), which starts \(service) on it again; "
                + "stop it there (portdash stop \(service), or that up) and its lease ends with it, or restart it: portdash restart \(service)"
        case .invalidName(let problem):
            return "service \(problem)"
        }
    }

    /// Exit status, following sysexits(3) so scripts can tell failures apart.
    public var exitCode: Int32 {
        switch self {
        case .invalidRange, .invalidName, .invalidStatePath:
            return 64  // EX_USAGE
        case .malformedProcLine, .badStateFile, .stateFileTooLarge, .newerStateFile:
            return 65  // EX_DATAERR
        case .noSuchLease:
            return 66  // EX_NOINPUT
        case .poolExhausted, .outsidePool, .reservationBlocked, .leasedToRunningProcess, .boundLeaseBlocked, .portUnavailable,
             .noSuchProcess, .rebindUnavailable, .heldByRunningUp:
            return 69  // EX_UNAVAILABLE: this request cannot be met now
        case .procUnavailable, .procFileTooLarge, .system:
            return 71  // EX_OSERR
        case .stateNotWritable, .stateWouldBeTooLarge:
            return 73  // EX_CANTCREAT
        case .lockTimeout:
            return 75  // EX_TEMPFAIL
        case .unsafeStateDirectory, .killRefused, .permissionDenied:
            return 77  // EX_NOPERM
        }
    }
}

/// 30, 2.5, 0.25: seconds as people write them.
public func secondsText(_ s: Double) -> String {
    s == s.rounded() && abs(s) < 1e9 ? String(Int(s)) : String(s)
}

/// Why a write failed, in words, with what to do about it.
func notWritableReason(_ err: Errno, directory: String) -> String {
    switch err {
    case .noSpace: return "no space left on the device holding \(directory); free some space there (df -h \(directory)) and retry"
    case .diskQuotaExceeded: return "your disk quota is used up on the device holding \(directory); free some space and retry"
    case .readOnlyFileSystem: return "the file system holding \(directory) is read-only; remount it read-write, or use another file with --state"
    case .permissionDenied, .notPermitted: return "permission denied in \(directory); fix its permissions, or use another file with --state"
    default: return errnoText(err)
    }
}

func unsafeDirectoryText(_ directory: String, mode: UInt32, owner: UInt32) -> String {
    let me = geteuid()
    if owner != me && owner != 0 {
        return "state directory \(directory) belongs to uid \(owner), who could replace the state file (it must be yours, uid \(me), or root's); use a directory of your own with --state"
    }
    return "state directory \(directory) is writable by \(PrivateDirectory.writers(mode)) (mode \(PrivateDirectory.octal(mode))) "
        + "without the sticky bit, so they could replace the state file; fix it with: chmod go-w \(directory)"
}

/// strerror(3) text with the symbolic name, e.g. "Address already in use (EADDRINUSE)".
/// The same for a raw errno value (from a plain libc call).
public func errnoText(_ code: Int32) -> String { errnoText(Errno(rawValue: code)) }

public func errnoText(_ err: Errno) -> String {
    let text = String(cString: strerror(err.rawValue))
    guard let name = pd_errno_name(err.rawValue) else { return text }
    return "\(text) (\(String(cString: name)))"
}
