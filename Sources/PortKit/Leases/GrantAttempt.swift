/// One grant, step by step in the DHCP order. Holds the book being changed
/// and what was found on the way (for the skipped lines and the
/// exhaustion message).
struct GrantAttempt<Env: LeaseEnvironment> {
    let request: LeaseRequest
    var book: LeaseBook
    let range: PortRange
    let env: Env
    let existing: Lease?
    private var skipped: [Obstacle] = []
    private var obstacles: [Obstacle] = []
    private var tried = Set<UInt16>()

    init(request: LeaseRequest, book: LeaseBook, range: PortRange, env: Env) {
        self.request = request; self.book = book; self.range = range; self.env = env
        existing = book.lease(for: request.key)
    }

    mutating func run() throws(PortKitError) -> Grant {
        if let existing, let g = try renew(existing) { return g }
        if let g = consider(request.preferred, .preferred) { return g }
        if let g = consider(book.lastUsed[request.key], .lastUsed) { return g }
        if let g = firstFree() { return g }
        throw .poolExhausted(range: range, obstacles: obstacles.sorted { $0.port < $1.port })
    }

    /// Step 1, the existing lease. A reservation is the service's port, but a
    /// foreign process on it is an error, not a grant. A lease bound to a
    /// live process belongs to it: another process asking under the same
    /// name (a second `run web`) must not take it over or move it; asking
    /// without --pid just reads it back.
    mutating func renew(_ existing: Lease) throws(PortKitError) -> Grant? {
        if existing.kind == .reservation {
            if let o = obstacle(existing.port, existingOK: true) { throw .reservationBlocked(service: request.label, obstacle: o) }
            return take(existing.port, .renewed)
        }
        if let owner = existing.owner, env.isAlive(owner), request.owner != owner {
            if request.owner != nil {
                throw .leasedToRunningProcess(service: existing.label, pid: owner.pid, port: existing.port, ofProject: existing.project != nil)
            }
            if let o = obstacle(existing.port, existingOK: true) {
                throw .boundLeaseBlocked(service: existing.label, obstacle: o, pid: owner.pid)
            }
            return Grant(lease: existing, reason: .renewed, skipped: [])
        }
        return consider(existing.port, .renewed)
    }

    /// Step 4, the first free port, sparing ports other services used last
    /// (so they get them back, Kea's affinity) until nothing else is left.
    mutating func firstFree() -> Grant? {
        let key = request.key
        let remembered = Set(book.lastUsed.filter { $0.key != key }.values)
        for spareRemembered in [true, false] {
            for port in range.ports where !tried.contains(port) && !(spareRemembered && remembered.contains(port)) {
                if let g = consider(port, .pool) { return g }
            }
        }
        return nil
    }

    /// Grants `port` unless something stands in the way (then noted).
    mutating func consider(_ port: UInt16?, _ reason: Grant.Reason) -> Grant? {
        guard let port, range.contains(port) || reason == .renewed, tried.insert(port).inserted else { return nil }
        if let o = obstacle(port, existingOK: reason == .renewed) {
            if case .held = o { skipped.append(o) }
            obstacles.append(o)
            return nil
        }
        return take(port, reason)
    }

    /// nil if the port can be granted to this service. The leaseholder
    /// itself listening there is a renewal, not an obstacle.
    func obstacle(_ port: UInt16, existingOK: Bool) -> Obstacle? {
        if let other = book.lease(on: port), other.key != request.key {
            return .leased(port: port, to: other.label, kind: other.kind, ofProject: other.project != nil)
        }
        guard case .busy(let holder, let pids) = env.availability(port) else { return nil }
        if existingOK, let owner = request.owner ?? existing?.owner, LeasePolicy.allLeaseholders(pids, owner: owner, env: env) {
            return nil
        }
        return .held(port: port, holder: holder, pids: pids)
    }

    /// Writes the lease for `port` into the book.
    mutating func take(_ port: UInt16, _ reason: Grant.Reason) -> Grant {
        var lease = existing?.port == port ? existing! : Lease(service: request.service, port: port, kind: .lease, granted: env.now)
        // The project's name follows its branch; the command, its latest form.
        lease.project = request.project
        lease.binds = request.binds
        if lease.kind == .lease {
            if let owner = request.owner { lease.owner = owner }
            let ttl = request.ttl ?? lease.ttl ?? (lease.owner == nil ? LeasePool.defaultTTL : nil)
            lease.ttl = ttl
            lease.expires = ttl.map { env.now.addingSaturating($0) }
        }
        let key = request.key
        book.leases.removeAll { $0.key == key }
        book.leases.append(lease)
        book.lastUsed[key] = port
        return Grant(lease: lease, reason: reason, skipped: skipped)
    }
}
