/// The lease rules in one place: who the leaseholder is, whether a lease is
/// over, how it stands, and what makes a port a conflict. The scanner, the
/// pool, `leases` and the dashboard all ask here, so they cannot disagree.
public enum LeasePolicy {
    /// Is `pid` a leaseholder? For a group owner (a service of `up` or
    /// `run` in its own cgroup): any process of the group, whatever forked
    /// or daemonized it. Else the owner process or one of its descendants
    /// (a server started through `npm` and `sh`), or — while the owner's
    /// supervisor runs — one of the supervisor's (a daemon that left its
    /// parent is adopted by `up`, its subreaper). A dead owner has none.
    public static func isLeaseholder(_ pid: Int32, owner: LeaseOwner, env: some LeaseEnvironment) -> Bool {
        guard env.isAlive(owner) else { return false }
        if let group = owner.group, let g = env.group(of: pid) { return CgroupPath.isWithin(g, group) }
        if pid == owner.pid { return true }
        let ancestors = env.ancestors(of: pid)
        if ancestors.contains(owner.pid) { return true }
        guard let s = owner.supervisor, env.isAlive(LeaseOwner(pid: s.pid, startTime: s.startTime)) else { return false }
        return ancestors.contains(s.pid)
    }

    /// A `run` whose command exited keeps its lease while a process the
    /// command left behind (in its group) holds the port.
    public static func staysAfterExit(holders: [Int32], leftBehind: [Int32]) -> Bool {
        !Set(holders).isDisjoint(with: leftBehind)
    }

    /// A lease whose service outlived the `up` or `run` that ran it (that
    /// one was killed): `status`, `leases` and the dashboard say so, and
    /// the next `up` in its checkout stops it.
    public static func isLeftByKilledSupervisor(_ lease: Lease, env: some LeaseEnvironment) -> Bool {
        guard let owner = lease.owner, let s = owner.supervisor else { return false }
        return !env.isAlive(LeaseOwner(pid: s.pid, startTime: s.startTime)) && env.isAlive(owner)
    }

    /// The `portdash up` that holds this project lease, while it runs: the
    /// supervisor of the service's process, or `up` itself (it owns its
    /// services' leases before they start and between two runs). Such a
    /// lease is up's to end, never `release`'s: up starts the service again
    /// on that port, and `env` reads it. Only `up` binds a project's lease
    /// to a process (`env` leases for a time, `run` by name alone).
    public static func runningUp(of lease: Lease, env: some LeaseEnvironment) -> ProcessStamp? {
        guard lease.project != nil, let owner = lease.owner else { return nil }
        let up = owner.supervisor ?? owner.process
        return env.isAlive(LeaseOwner(pid: up.pid, startTime: up.startTime)) ? up : nil
    }

    /// Are all of `pids` leaseholders? (None known: no.)
    public static func allLeaseholders(_ pids: [Int32], owner: LeaseOwner, env: some LeaseEnvironment) -> Bool {
        !pids.isEmpty && pids.allSatisfy { isLeaseholder($0, owner: owner, env: env) }
    }

    /// Is the lease over? Reservations never end; a process-bound lease ends
    /// with its process (or at its explicit TTL); a TTL lease ends at its
    /// expiry unless something listens on its port then (listening renews it).
    public static func isExpired(_ lease: Lease, env: some LeaseEnvironment) -> Bool {
        if lease.kind == .reservation { return false }
        if let owner = lease.owner, !env.isAlive(owner) { return true }
        if let expires = lease.expires, env.now >= expires {
            return lease.owner != nil || !env.isListening(lease.port)
        }
        return false
    }

    /// How the lease stands now: reserved, expired, active (its owner process
    /// runs, or something listens on its port) or idle.
    public static func status(of lease: Lease, env: some LeaseEnvironment) -> LeaseStatus {
        if lease.kind == .reservation { return .reserved }
        if isExpired(lease, env: env) { return .expired }
        if lease.owner != nil || env.isListening(lease.port) { return .active }
        return .idle
    }

    /// A process-bound lease's port held by someone who is not the
    /// leaseholder. For a TTL lease nobody can tell the service from a
    /// squatter, so it is never a conflict.
    public static func isConflict(_ lease: Lease, holders: [Int32], env: some LeaseEnvironment) -> Bool {
        guard let owner = lease.owner else { return false }
        return holders.contains { !isLeaseholder($0, owner: owner, env: env) }
    }

    /// The leases of `book` in force now (for classifying ports).
    public static func live(_ leases: [Lease], env: some LeaseEnvironment) -> [Lease] {
        leases.filter { !isExpired($0, env: env) }
    }
}
