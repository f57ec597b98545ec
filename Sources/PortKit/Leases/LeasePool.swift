/// A request for a port.
public struct LeaseRequest: Sendable {
    public var service: String
    public var preferred: UInt16?
    public var owner: LeaseOwner?
    public var ttl: Int64?
    /// A project's port: its key holds the project root and port name.
    public var project: LeaseProject?
    /// The port the program binds by itself, moved to the one granted.
    public var binds: UInt16?
    public init(service: String, preferred: UInt16? = nil, owner: LeaseOwner? = nil, ttl: Int64? = nil, project: LeaseProject? = nil,
                binds: UInt16? = nil) {
        self.service = service; self.preferred = preferred; self.owner = owner; self.ttl = ttl; self.project = project; self.binds = binds
    }

    public var key: LeaseKey { LeaseKey(service: service, project: project?.root, portName: project?.portName) }
    /// As the lease will be shown: "web", "web.debug · shop@main".
    public var label: String { Lease(service: service, port: 1, kind: .lease, granted: 0, project: project).label }
}

/// The answer to a request.
public struct Grant: Sendable, Equatable {
    public enum Reason: String, Sendable { case renewed, preferred, lastUsed = "last-used", pool }
    public let lease: Lease
    public let reason: Reason
    /// Candidates held by a foreign process and passed over, said on stderr.
    public let skipped: [Obstacle]
}

/// The DHCP policy. Pure: every fact about the world comes from the
/// environment, every change goes into the book passed in.
public struct LeasePool: Sendable {
    /// A lease with neither owner process nor --ttl lasts an hour (dhcpd's
    /// default-lease-time is 10 minutes, Kea's valid-lifetime 4000 s; a
    /// development server restarts more often than that). Seeing the port in
    /// use at expiry renews it.
    public static let defaultTTL: Int64 = 3600

    public let range: PortRange
    public init(range: PortRange) { self.range = range }

    // MARK: expiry

    /// Removes expired leases (remembering their ports as last used) and
    /// renews TTL leases whose port is listened on. Returns what expired.
    @discardableResult
    public func reap(_ book: inout LeaseBook, env: some LeaseEnvironment) -> [Lease] {
        var expired: [Lease] = []
        var kept: [Lease] = []
        for var lease in book.leases {
            if LeasePolicy.isExpired(lease, env: env) {
                expired.append(lease)
                book.lastUsed[lease.key] = lease.port
                continue
            }
            if lease.owner == nil, let expires = lease.expires, env.now >= expires {
                lease.expires = env.now.addingSaturating(lease.ttl ?? LeasePool.defaultTTL)  // listened on at expiry: renewed
            }
            kept.append(lease)
        }
        book.leases = kept
        return expired
    }

    // MARK: grant

    /// Grants or renews, in the documented order (DHCP's): the existing
    /// lease, the preferred port, the last-used port, the first free port of
    /// the range.
    public func grant(_ request: LeaseRequest, in book: inout LeaseBook, env: some LeaseEnvironment) throws(PortKitError) -> Grant {
        if let why = ServiceName.problem(request.service) { throw .invalidName(problem: why) }
        if let why = request.project?.problem() { throw .invalidName(problem: why) }
        if let p = request.preferred, !range.contains(p) { throw .outsidePool(port: p, range: range, reserving: false) }
        reap(&book, env: env)
        var attempt = GrantAttempt(request: request, book: book, range: range, env: env)
        let grant = try attempt.run()
        book = attempt.book
        return grant
    }

    // MARK: reserve and release

    /// A reservation: a static lease of exactly `port` to `service`.
    public func reserve(_ port: UInt16, for service: String, in book: inout LeaseBook, env: some LeaseEnvironment) throws(PortKitError) -> Lease {
        if let why = ServiceName.problem(service) { throw .invalidName(problem: why) }
        guard range.contains(port) else { throw .outsidePool(port: port, range: range, reserving: true) }
        reap(&book, env: env)
        let key = LeaseKey(service: service)
        if let other = book.lease(on: port), other.key != key {
            throw .portUnavailable(.leased(port: port, to: other.label, kind: other.kind, ofProject: other.project != nil))
        }
        if case .busy(let holder, let pids) = env.availability(port) {
            let ownHolder = book.lease(on: port)?.owner.map { LeasePolicy.allLeaseholders(pids, owner: $0, env: env) } ?? false
            if !ownHolder { throw .portUnavailable(.held(port: port, holder: holder, pids: pids)) }
        }
        if let previous = book.lease(for: service), previous.port != port {
            book.lastUsed[service] = previous.port
        }
        book.leases.removeAll { $0.key == key || $0.port == port }
        let lease = Lease(service: service, port: port, kind: .reservation, granted: env.now)
        book.leases.append(lease)
        book.lastUsed[service] = port
        return lease
    }

    /// Ends the lease of a service name, or of a port ("5003"). The name keeps
    /// the port as its preference for next time. `checkout` maps a name to
    /// the key of the current checkout's service of that name ("web",
    /// "web.debug"), if there is one: inside a project, `release web` means
    /// that checkout's web while it holds a lease, else the lease by name alone.
    /// A lease a running `up` holds is refused: up would start the service
    /// on that port again, and `env` would lease it another.
    public func release(_ target: String, in book: inout LeaseBook, env: some LeaseEnvironment,
                        checkout: (String) -> LeaseKey? = { _ in nil }) throws(PortKitError) -> Lease {
        let lease: Lease?
        if let port = UInt16(target) {
            lease = book.lease(on: port)
        } else if let key = checkout(target), let own = book.lease(for: key) {
            lease = own
        } else {
            if let why = ServiceName.problem(target) { throw .invalidName(problem: why) }
            lease = book.lease(for: target)
        }
        guard let lease else { throw .noSuchLease(target.allSatisfy(\.isNumber) ? "port \(target)" : "\"\(target)\"") }
        if let project = lease.project, LeasePolicy.runningUp(of: lease, env: env) != nil {
            throw .heldByRunningUp(port: lease.port, label: lease.label, service: lease.service, root: project.root)
        }
        book.leases.removeAll { $0.key == lease.key }
        book.lastUsed[lease.key] = lease.port
        return lease
    }
}

extension Int64 {
    /// a + b, clamped instead of trapping: a hostile TTL must not crash us.
    func addingSaturating(_ b: Int64) -> Int64 {
        let (r, o) = addingReportingOverflow(b)
        return o ? (b > 0 ? .max : .min) : r
    }
}
