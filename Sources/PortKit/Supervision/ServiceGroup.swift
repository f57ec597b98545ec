import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// The processes of one service, kept together so that a stop reaches
/// every one of them and no other process (see `SupervisionMode`).
public final class ServiceGroup {
    enum Backing {
        case cgroup(CgroupTree, path: String)
        /// The pidfd mode: every descendant seen, pinned.
        case tracked
    }

    let backing: Backing
    /// The processes this group started (its main processes), and every
    /// descendant seen since, each held by a pidfd (pidfd mode only).
    private(set) var pinned: [Int32: PinnedProcess] = [:]
    /// Main processes not reaped yet (their pids cannot be reused).
    private var roots: Set<Int32> = []
    /// Every main process started (pidfd mode), each the leader of a
    /// process group of its own: the pgids of this group's processes.
    private var leaders: Set<Int32> = []

    init(_ backing: Backing) { self.backing = backing }

    /// A new group named `name` below `parent` (cgroup mode), or an empty
    /// tracked set (pidfd mode).
    public static func make(_ mode: SupervisionMode, below parent: String?, name: String) -> Result<ServiceGroup, SupervisionError> {
        guard case .cgroup(let tree, let own) = mode else { return .success(ServiceGroup(.tracked)) }
        let path = (parent ?? (own == "/" ? "" : own)) + "/" + name
        switch tree.create(path) {
        case .success, .failure(.fileExists): return .success(ServiceGroup(.cgroup(tree, path: path)))
        case .failure(let e): return .failure(.cannotCreateGroup(path: tree.directory(path).string, errno: errnoText(e)))
        }
    }

    /// The cgroup path, in cgroup mode: the leaseholder.
    public var path: String? {
        if case .cgroup(_, let p) = backing { return p }
        return nil
    }

    /// "cgroup /portdash-up-1-2/web" or "pidfds of 3 processes".
    public var description: String {
        switch backing {
        case .cgroup(_, let p): return "cgroup \(p)"
        case .tracked: return "pidfds of \(pinned.count) processes"
        }
    }

    /// Starts a main process in the group.
    public func spawn(_ request: SpawnRequest) -> Result<pid_t, SpawnFailure> {
        var request = request
        var procs: FileDescriptor?
        if case .cgroup(let tree, let p) = backing {
            switch tree.openProcs(p) {
            case .success(let fd): procs = fd
            case .failure(let e): return .failure(SpawnFailure(step: .cgroup, errno: e))
            }
            request.cgroupProcs = procs?.rawValue
        }
        defer { try? procs?.close() }
        let result = ChildSpawn.spawn(request)
        if case .success(let pid) = result, case .tracked = backing {
            roots.insert(pid)
            leaders.insert(pid)
            pinned[pid] = PinnedProcess(pid)  // our unreaped child: its pid cannot be reused yet
        }
        return result
    }

    /// pidfd mode: pins the descendants of this group's processes found in
    /// `table` (and `adopted`: orphans our subreaper took in that belong
    /// here). Each pidfd is opened, then the start time checked against the
    /// table, so a pinned process is the one seen.
    /// Returns those newly pinned, for a stop under way to reach them too.
    @discardableResult
    public func track(_ table: ProcessTable, adopted: [Int32] = []) -> [PinnedProcess] {
        guard case .tracked = backing else { return [] }
        pinned = pinned.filter { !$0.value.hasExited || roots.contains($0.key) }
        var new: [PinnedProcess] = []
        for pid in table.descendants(of: Set(pinned.keys)) + adopted where pinned[pid] == nil {
            guard let e = table.entries[pid], let p = PinnedProcess(pid, startTime: e.startTime) else { continue }
            pinned[pid] = p
            new.append(p)
        }
        return new
    }

    /// Its live processes now.
    public func members() -> [Int32] {
        switch backing {
        case .cgroup(let tree, let p): return tree.members(p) + tree.subgroups(p).flatMap { tree.members(p + "/" + $0) }
        case .tracked: return pinned.values.filter { !$0.hasExited && !isZombie($0.pid) }.map(\.pid).sorted()
        }
    }

    /// No process left (a main process that has exited but is not reaped
    /// yet counts as gone).
    public var isEmpty: Bool {
        switch backing {
        case .cgroup(let tree, let p): return !tree.isPopulated(p)
        case .tracked: return members().isEmpty
        }
    }

    /// `sig` to every process of the group, each through a pidfd opened
    /// and then checked to still be in the group: never a stranger.
    public func signal(_ sig: Int32) {
        switch backing {
        case .cgroup(let tree, let p):
            if sig == SIGKILL { _ = tree.kill(p); return }
            for pid in members() {
                guard let pin = PinnedProcess(pid), let g = tree.group(of: pid), CgroupPath.isWithin(g, p) else { continue }
                pin.signal(sig)
            }
        case .tracked:
            for p in pinned.values { p.signal(sig) }
            signalProcessGroups(sig)
        }
    }

    /// pidfd mode: each main process leads a process group of its own
    /// (pgid = its pid), and every process it forks without setsid or
    /// setpgid stays in it, even one that lives a millisecond, too short
    /// for the table walk to pin (a fork chain). The group is signalled
    /// whole, never a stranger's: while the main process is our unreaped
    /// child its pid (the pgid) cannot be reused, so kill(-pgid) is safe;
    /// after it was reaped, only through a pinned member still in that
    /// group, by pidfd (Linux 6.9), which the kernel resolves at the moment
    /// of the signal.
    func signalProcessGroups(_ sig: Int32) {
        let reader = ProcessReader()
        for leader in leaders {
            if roots.contains(leader), case .success = Syscalls.sendSignal(sig, to: -leader) { continue }
            let inGroup = pinned.values.first { !$0.hasExited && reader.stat($0.pid)?.pgrp == leader }
            inGroup?.signalGroup(sig)
        }
    }

    /// Removes the cgroup once empty; pidfds are closed.
    public func remove() {
        if case .cgroup(let tree, let p) = backing { tree.remove(p) }
        pinned = [:]
    }

    /// Forgets exited main processes' pins (after they were reaped).
    public func reaped(_ pid: Int32) {
        roots.remove(pid)
        if pinned[pid]?.hasExited == true { pinned[pid] = nil }
    }

    func isZombie(_ pid: Int32) -> Bool { ProcessReader().stat(pid)?.state == "Z" }
}
