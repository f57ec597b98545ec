/// The lease rules in one place: who the leaseholder is, whether a lease is
/// over, how it stands, and what makes a port a conflict. The scanner, the
/// pool, `leases` and the dashboard all ask here, so they cannot disagree.
public enum LeasePolicy {
    /// Is `pid` the lease's owner process, or one of its descendants (a
    /// server started by `portdash run` through `npm` and `sh`)? A dead
    /// owner has no leaseholders.
    public static func isLeaseholder(_ pid: Int32, owner: LeaseOwner, env: some LeaseEnvironment) -> Bool {
        guard env.isAlive(owner) else { return false }
        return pid == owner.pid || env.ancestors(of: pid).contains(owner.pid)
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
