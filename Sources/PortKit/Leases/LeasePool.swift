/// What the lease engine needs to know about the world. The real one binds
/// and reads /proc; tests inject one with a clock and a table.
public protocol LeaseEnvironment {
    var now: Int64 { get }
    /// Is this exact process (pid and start time) still running?
    func isAlive(_ owner: LeaseOwner) -> Bool
    /// Does the bind probe pass, and if not, who holds the port?
    func availability(_ port: UInt16) -> PortAvailability
    /// Is `pid` the owner process or one of its descendants?
    func isLeaseholder(_ pid: Int32, owner: LeaseOwner) -> Bool
    /// Is the port in use at all? Expiry and status need only this, not who
    /// holds it, so an environment can answer it without naming the holder.
    func isInUse(_ port: UInt16) -> Bool
}

extension LeaseEnvironment {
    public func isInUse(_ port: UInt16) -> Bool {
        if case .busy = availability(port) { return true }
        return false
    }
}

public enum PortAvailability: Equatable, Sendable {
    case free
    /// Held: who holds it ("python3 (pid 4242)") and their pids (empty if hidden).
    case busy(holder: String, pids: [Int32])
}

/// A request for a port.
public struct LeaseRequest: Sendable {
    public var service: String
    public var preferred: UInt16?
    public var owner: LeaseOwner?
    public var ttl: Int64?
    public init(service: String, preferred: UInt16? = nil, owner: LeaseOwner? = nil, ttl: Int64? = nil) {
        self.service = service; self.preferred = preferred; self.owner = owner; self.ttl = ttl
    }
}

/// The answer to a request.
public struct Grant: Sendable, Equatable {
    public enum Reason: String, Sendable { case renewed, preferred, lastUsed = "last-used", pool }
    public let lease: Lease
    public let reason: Reason
    /// Candidates passed over, with why: "5000 busy: python3 (pid 4242)".
    public let skipped: [String]
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

    /// Is the lease over? Reservations never end; a process-bound lease ends
    /// with its process (or at its explicit TTL); a TTL lease ends at its
    /// expiry unless its port is in use then (the holder renews it by listening).
    public static func isExpired(_ lease: Lease, env: some LeaseEnvironment) -> Bool {
        if lease.kind == .reservation { return false }
        if let owner = lease.owner, !env.isAlive(owner) { return true }
        if let expires = lease.expires, env.now >= expires {
            if lease.owner == nil, env.isInUse(lease.port) { return false }
            return true
        }
        return false
    }

    /// The lease's status as `leases` shows it.
    public static func status(of lease: Lease, env: some LeaseEnvironment) -> LeaseStatus {
        if lease.kind == .reservation { return .reserved }
        if isExpired(lease, env: env) { return .expired }
        if lease.owner != nil { return .active }
        if env.isInUse(lease.port) { return .active }
        return .idle
    }

    /// Removes expired leases (remembering their ports as last used) and
    /// renews TTL leases whose port is in use. Returns what expired.
    @discardableResult
    public func reap(_ book: inout LeaseBook, env: some LeaseEnvironment) -> [Lease] {
        var expired: [Lease] = []
        var kept: [Lease] = []
        for var lease in book.leases {
            if LeasePool.isExpired(lease, env: env) {
                expired.append(lease)
                book.lastUsed[lease.service] = lease.port
                continue
            }
            if lease.owner == nil, let expires = lease.expires, env.now >= expires {
                lease.expires = env.now.addingSaturating(lease.ttl ?? LeasePool.defaultTTL)  // in use at expiry: renewed
            }
            kept.append(lease)
        }
        book.leases = kept
        return expired
    }

    // MARK: grant

    /// Grants or renews, in the documented order: the existing lease, the
    /// preferred port, the last-used port, the first free port of the range.
    public func grant(_ request: LeaseRequest, in book: inout LeaseBook, env: some LeaseEnvironment) throws(PortKitError) -> Grant {
        if let why = ServiceName.problem(request.service) { throw .invalidName(problem: why) }
        if let p = request.preferred, !range.contains(p) {
            throw .leaseRefused("preferred port \(p) is outside the pool \(range); pick one inside it or widen the pool with --range")
        }
        reap(&book, env: env)
        var skipped: [String] = []       // held by a foreign process: said on stderr
        var obstacles: [(UInt16, String)] = []  // every reason, for the exhaustion message
        var tried = Set<UInt16>()
        let existing = book.lease(for: request.service)

        /// nil if the port can be granted to this service; else why not.
        func obstacle(_ port: UInt16, existingOK: Bool) -> String? {
            if let other = book.lease(on: port), other.service != request.service {
                return "\(port) is \(other.kind == .reservation ? "reserved" : "leased") to \(other.service)"
            }
            switch env.availability(port) {
            case .free: return nil
            case .busy(let holder, let pids):
                // The leaseholder itself listening is a renewal, not a conflict.
                if existingOK, let owner = (request.owner ?? existing?.owner), !pids.isEmpty,
                   pids.allSatisfy({ env.isLeaseholder($0, owner: owner) }) {
                    return nil
                }
                return "\(port) busy: \(holder)"
            }
        }

        func take(_ port: UInt16, _ reason: Grant.Reason) -> Grant {
            var lease: Lease
            if let existing, existing.port == port {
                lease = existing
            } else {
                lease = Lease(service: request.service, port: port, kind: .lease, granted: env.now)
            }
            if lease.kind == .lease {
                if let owner = request.owner { lease.owner = owner }
                let ttl = request.ttl ?? lease.ttl ?? (lease.owner == nil ? LeasePool.defaultTTL : nil)
                lease.ttl = ttl
                lease.expires = ttl.map { env.now.addingSaturating($0) }
            }
            book.leases.removeAll { $0.service == request.service }
            book.leases.append(lease)
            book.lastUsed[request.service] = port
            return Grant(lease: lease, reason: reason, skipped: skipped)
        }

        func consider(_ port: UInt16?, _ reason: Grant.Reason) -> Grant? {
            guard let port, range.contains(port) || reason == .renewed, tried.insert(port).inserted else { return nil }
            if let why = obstacle(port, existingOK: reason == .renewed) {
                if why.contains(" busy: ") { skipped.append(why) }
                obstacles.append((port, why))
                return nil
            }
            return take(port, reason)
        }

        // 1. The existing lease. A reservation is the service's port, but a
        //    foreign process on it is still an error, not a grant.
        if let existing {
            if existing.kind == .reservation {
                if let why = obstacle(existing.port, existingOK: true) {
                    throw .leaseRefused("\(request.service)'s reserved port: \(why); stop that process, or release the reservation")
                }
                return take(existing.port, .renewed)
            }
            // A lease bound to a live process belongs to it: another process
            // asking under the same name (a second `run web`) must not take
            // it over or move it. Asking without --pid just reads it back.
            if let owner = existing.owner, env.isAlive(owner), request.owner != owner {
                if request.owner != nil {
                    throw .leaseRefused("\(request.service) is leased to a running process (pid \(owner.pid)) on \(existing.port); use another name, or stop that process")
                }
                if let why = obstacle(existing.port, existingOK: true) {
                    throw .leaseRefused("\(request.service)'s port \(why); it is bound to pid \(owner.pid), so it is not moved")
                }
                return Grant(lease: existing, reason: .renewed, skipped: [])
            }
            if let g = consider(existing.port, .renewed) { return g }
        }
        // 2. The preferred port.
        if let g = consider(request.preferred, .preferred) { return g }
        // 3. The last-used port.
        if let g = consider(book.lastUsed[request.service], .lastUsed) { return g }
        // 4. The first free port, sparing ports other services used last (so
        //    they get them back) until nothing else is left.
        let remembered = Set(book.lastUsed.filter { $0.key != request.service }.values)
        for pass in 0..<2 {
            for port in range.ports where tried.contains(port) == false {
                if pass == 0 && remembered.contains(port) { continue }
                if let g = consider(port, .pool) { return g }
            }
        }
        throw .poolExhausted(range: range, holders: obstacles.sorted { $0.0 < $1.0 }.map(\.1))
    }

    // MARK: reserve and release

    /// A reservation: a static lease of exactly `port` to `service`.
    public func reserve(_ port: UInt16, for service: String, in book: inout LeaseBook, env: some LeaseEnvironment) throws(PortKitError) -> Lease {
        if let why = ServiceName.problem(service) { throw .invalidName(problem: why) }
        guard range.contains(port) else {
            throw .leaseRefused("port \(port) is outside the pool \(range); reserve a port inside it or widen the pool with --range")
        }
        reap(&book, env: env)
        if let other = book.lease(on: port), other.service != service {
            throw .leaseRefused("port \(port) is \(other.kind == .reservation ? "reserved" : "leased") to \(other.service); release it first: portdash release \(other.service)")
        }
        let current = book.lease(on: port)
        if case .busy(let holder, let pids) = env.availability(port) {
            let isHolder = current?.owner.map { owner in !pids.isEmpty && pids.allSatisfy { env.isLeaseholder($0, owner: owner) } } ?? false
            if !isHolder {
                throw .leaseRefused("port \(port) is held by \(holder); stop it, or reserve another port")
            }
        }
        if let previous = book.lease(for: service), previous.port != port {
            book.lastUsed[service] = previous.port
        }
        book.leases.removeAll { $0.service == service || $0.port == port }
        let lease = Lease(service: service, port: port, kind: .reservation, granted: env.now)
        book.leases.append(lease)
        book.lastUsed[service] = port
        return lease
    }

    /// Ends the lease of a service name, or of a port ("5003"). The name keeps
    /// the port as its preference for next time.
    public func release(_ target: String, in book: inout LeaseBook) throws(PortKitError) -> Lease {
        let lease: Lease?
        if let port = UInt16(target) {
            lease = book.lease(on: port)
        } else {
            if let why = ServiceName.problem(target) { throw .invalidName(problem: why) }
            lease = book.lease(for: target)
        }
        guard let lease else { throw .noSuchLease(target.allSatisfy(\.isNumber) ? "port \(target)" : "\"\(target)\"") }
        book.leases.removeAll { $0.service == lease.service }
        book.lastUsed[lease.service] = lease.port
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
