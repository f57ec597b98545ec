#if canImport(Glibc)
import SystemPackage
import Glibc
#endif

/// How `up` and `run` keep a service's processes together.
///
/// - `cgroup`: a cgroup v2 group per service, below our own group (where
///   we may write: root, or a systemd user session's delegated
///   `user@UID.service`). The kernel keeps every descendant in it, however
///   it forks, daemonizes or setsid()s; a stop is `cgroup.kill`.
/// - `pidfd`: where no group can be made. `up` is the subreaper of what
///   its services start and holds a pidfd for every descendant it has
///   seen; a signal goes only through a pidfd, never to a pid or process
///   group id that may have been reused. A process that forks away and
///   whose parent exits before it was seen is found again as an orphan
///   adopted by `up`.
public enum SupervisionMode: Sendable, Equatable, CustomStringConvertible {
    case cgroup(CgroupTree, parent: String)
    case pidfd(why: String)

    /// `PORTDASH_SUPERVISION` = `cgroup` (required) or `pidfd` (forced);
    /// unset or `auto`: a cgroup where we can make one.
    public static func detect(setting: String?) -> Result<SupervisionMode, SupervisionError> {
        switch setting ?? "auto" {
        case "pidfd": return .success(.pidfd(why: "PORTDASH_SUPERVISION=pidfd"))
        case "auto", "": return .success(cgroupMode() ?? .pidfd(why: cgroupProblem()))
        case "cgroup":
            if let m = cgroupMode() { return .success(m) }
            return .failure(.unavailable(mode: "cgroup", why: cgroupProblem()))
        case let other: return .failure(.unknownMode(other))
        }
    }

    static func cgroupMode() -> SupervisionMode? {
        guard let tree = CgroupTree.shared, tree.canKill, let own = CgroupTree.ownGroup() else { return nil }
        guard access(tree.directory(own).string, W_OK) == 0 else { return nil }
        return .cgroup(tree, parent: own)
    }

    static func cgroupProblem() -> String {
        guard let tree = CgroupTree.shared else { return "no cgroup v2 hierarchy is mounted" }
        guard tree.canKill else { return "this kernel has no cgroup.kill (Linux 5.14)" }
        guard let own = CgroupTree.ownGroup() else { return "/proc/self/cgroup names no cgroup v2 group" }
        return "our cgroup \(own) is not writable (not delegated to us; `systemd-run --user --scope -p Delegate=yes portdash up` gives one)"
    }

    /// For `up`'s first line and `portdash config`.
    public var description: String {
        switch self {
        case .cgroup(_, let parent): return "cgroup (a cgroup v2 group per service, below \(parent == "/" ? "the root group" : parent))"
        case .pidfd(let why): return "pidfd (subreaper and pidfds; no cgroup: \(why))"
        }
    }

    public var name: String {
        switch self {
        case .cgroup: return "cgroup"
        case .pidfd: return "pidfd"
        }
    }
}

/// What keeps supervision from starting.
public enum SupervisionError: Error, Sendable, Equatable, CustomStringConvertible {
    case unavailable(mode: String, why: String)
    case unknownMode(String)
    case cannotCreateGroup(path: String, errno: String)

    public var description: String {
        switch self {
        case .unavailable(let mode, let why): return "PORTDASH_SUPERVISION=\(mode) cannot be used here: \(why)"
        case .unknownMode(let m): return "PORTDASH_SUPERVISION=\(sanitized(m)) is not one of auto, cgroup, pidfd"
        case .cannotCreateGroup(let path, let e): return "cannot create the cgroup \(path): \(e); set PORTDASH_SUPERVISION=pidfd to run without one"
        }
    }

    /// EX_UNAVAILABLE, or EX_USAGE for a mistyped setting.
    public var exitCode: Int32 {
        if case .unknownMode = self { return 64 }
        return 69
    }
}
