/// Reads processes from a proc root. Every read tolerates the process
/// vanishing or being unreadable: the result is nil, not an error.
public struct ProcessReader: Sendable {
    public let root: ProcRoot
    public init(root: ProcRoot = .system) { self.root = root }

    public func stat(_ pid: Int32) -> ProcStat? {
        let file = "\(pid)/stat"
        guard case .success(let bytes) = root.read(file) else { return nil }
        return try? ProcStat.parse(bytes, file: root.path + "/" + file)
    }

    /// The command name of a lease's owner, or nil if that process (pid and
    /// start time) is no longer running.
    public func name(of owner: LeaseOwner) -> String? {
        stat(owner.pid).flatMap { $0.startTime == owner.startTime ? $0.comm : nil }
    }

    /// The start time, or nil if the process is gone (or a zombie is being reaped).
    public func startTime(_ pid: Int32) -> UInt64? { stat(pid)?.startTime }

    public func details(_ pid: Int32, users: UserNames = .shared) -> ProcessDetails? {
        guard let stat = stat(pid) else { return nil }
        var uid: UInt32 = UInt32.max
        if case .success(let bytes) = root.read("\(pid)/status"),
           let status = try? ProcStatus.parse(bytes, file: "\(pid)/status") {
            uid = status.effectiveUID
        }
        var cmdline: [String] = []
        if case .success(let bytes) = root.read("\(pid)/cmdline") { cmdline = ProcCmdline.parse(bytes) }
        return ProcessDetails(pid: pid, ppid: stat.ppid, name: stat.comm, uid: uid,
                              user: uid == UInt32.max ? "?" : users.name(uid),
                              cmdline: cmdline, startTime: stat.startTime)
    }

    /// Is this exact process (pid and start time, field 22) still running?
    /// A zombie no longer counts: it holds no sockets and will never listen
    /// (unless only its main thread has ended: ProcStat.hasEnded).
    public func isRunning(_ p: ProcessStamp) -> Bool {
        guard let stat = stat(p.pid) else { return false }
        return stat.startTime == p.startTime && !stat.hasEnded
    }

    /// Is the owner alive? A group owner is while its group holds a
    /// process; a process owner while its process runs, or its supervisor
    /// (an `up` holds its leases until it has stopped every service).
    public func isRunning(_ owner: LeaseOwner) -> Bool {
        if let group = owner.group, let tree = CgroupTree.shared { return tree.isPopulated(group) }
        return isRunning(owner.process) || owner.supervisor.map(isRunning) == true
    }

    /// Was the owner's supervisor killed while the service lives on?
    public func isOrphaned(_ owner: LeaseOwner) -> Bool {
        guard let s = owner.supervisor, !isRunning(s) else { return false }
        if let group = owner.group, let tree = CgroupTree.shared { return tree.isPopulated(group) }
        return isRunning(owner.process)
    }

    /// The cgroup v2 path of a process (nil: gone, or no v2 hierarchy).
    public func group(of pid: Int32) -> String? {
        guard case .success(let bytes) = root.read("\(pid)/cgroup") else { return nil }
        return CgroupPath.unified(in: bytes)
    }

    /// The chain of parents from `pid` (exclusive) up to pid 1.
    public func ancestors(of pid: Int32) -> [Int32] {
        var chain: [Int32] = []
        var current = pid
        while current > 1, chain.count < 4096, let s = stat(current) {
            current = s.ppid
            if current <= 0 { break }
            chain.append(current)
        }
        return chain
    }
}
