import PortKit

/// What a project's leasing gave: the ports of the services asked for, and
/// those other services of the project hold already (for their <SERVICE>_PORT).
public struct ProjectPorts: Sendable {
    public var granted: [ServicePort: UInt16]
    public var others: [ServicePort: UInt16]
    /// Candidates passed over because a foreign process held them.
    public var skipped: [Obstacle]
    /// Ports a service prefers that lie outside the pool (not asked for).
    public var outsidePool: [(service: String, port: UInt16)]
    /// The ports of `granted` that were leased now (the rest were leased already).
    public var fresh: [ServicePort: UInt16] = [:]
    /// Leases of services (or named ports) the project file no longer has, ended.
    public var removed: [Lease] = []

    /// Every port known, granted or held.
    public var all: [ServicePort: UInt16] { others.merging(granted) { a, _ in a } }
}

/// Leases a project's ports: every port in one locked update of the state
/// file, all or none, so that a project never starts half-served.
public struct ProjectLeaser {
    public let project: Project
    public let pool: LeasePool
    public let store: LeaseStore
    public let env: any LeaseEnvironment

    public init(project: Project, pool: LeasePool, store: LeaseStore, env: any LeaseEnvironment) {
        self.project = project; self.pool = pool; self.store = store; self.env = env
    }

    /// The ports of `services`: each main port, then its named ones.
    public func ports(of services: [String]) -> [ServicePort] {
        services.compactMap(project.service).flatMap { s in
            [ServicePort(service: s.name)] + s.ports.map { ServicePort(service: s.name, name: $0) }
        }
    }

    /// Leases `ports` for `owner` (nil: a TTL lease, as `lease` gives).
    public func lease(_ ports: [ServicePort], owner: LeaseOwner?) throws(ProjectError) -> ProjectPorts {
        let env = self.env
        return try store.update { (book: inout LeaseBook) throws(ProjectError) -> ProjectPorts in
            var result = ProjectPorts(granted: [:], others: [:], skipped: [], outsidePool: [])
            var short: [String] = []
            var obstacles: [Obstacle] = []
            for p in ports {
                // Once the pool is found full, only a port leased already (renewed in place) can still be had.
                if !short.isEmpty && book.lease(for: project.key(p.service, port: p.name)) == nil {
                    short.append(p.description)
                    continue
                }
                let request = self.request(p, owner: owner, result: &result)
                do throws(PortKitError) {
                    let grant = try pool.grant(request, in: &book, env: env)
                    result.granted[p] = grant.lease.port
                    if grant.reason != .renewed { result.fresh[p] = grant.lease.port }
                    result.skipped += grant.skipped
                } catch {
                    guard case .poolExhausted(_, let o) = error else { throw .core(error) }
                    short.append(p.description)
                    obstacles = o
                }
            }
            if !short.isEmpty {
                // This request's own grants are not what stands in its way: they are undone with it.
                let own = Set(result.granted.values)
                throw .projectPortsShort(project: project.name, needed: ports.count, short: short, range: pool.range,
                                         obstacles: obstacles.filter { !own.contains($0.port) })
            }
            fillCommands(&book, result.granted)
            result.removed = endRemoved(&book)
            result.others = held(in: book).filter { result.granted[$0.key] == nil }
            return result
        }
    }

    /// Ends this checkout's leases of services (and named ports) its file no
    /// longer has, and forgets their last-used ports, so the pool does not
    /// keep sparing them: they would otherwise hold their ports for an hour
    /// (`env`'s leases) and route a name to nothing. A lease a live process
    /// holds (an `up` started before the edit) is left to it.
    func endRemoved(_ book: inout LeaseBook) -> [Lease] {
        let known = Set(ports(of: project.serviceNames).map { project.key($0.service, port: $0.name) })
        let isGone = { (key: LeaseKey) in key.project == self.project.root && !known.contains(key) }
        let removed = book.leases.filter { l in isGone(l.key) && l.owner.map { !env.isAlive($0) } ?? true }
        book.leases.removeAll { l in removed.contains { $0.key == l.key } }
        for key in book.lastUsed.map(\.key) where isGone(key) && book.lease(for: key) == nil { book.lastUsed[key] = nil }
        return removed
    }

    /// Takes back, for `owner`, the leases of `ports` that are gone (a
    /// `repair`, a hand edit, an older portdash's `release`), each on the
    /// port `up` granted it: a restarted service starts
    /// where its command, its variables and its name say, and `env` reads
    /// that port. Returns the ports taken back; changes nothing when one of
    /// those ports is another's now.
    public func retake(_ ports: [ServicePort: UInt16], owner: LeaseOwner) throws(ProjectError) -> [ServicePort] {
        let env = self.env
        return try store.update { (book: inout LeaseBook) throws(ProjectError) -> [ServicePort] in
            var taken: [ServicePort: UInt16] = [:]
            for (p, port) in ports.sorted(by: { $0.value < $1.value }) {
                let key = project.key(p.service, port: p.name)
                if book.lease(for: key)?.port == port { continue }
                if let other = book.lease(on: port), other.key != key {
                    throw .core(.portUnavailable(.leased(port: port, to: other.label, kind: other.kind, ofProject: other.project != nil)))
                }
                book.leases.removeAll { $0.key == key }  // a lease `env` gave it meanwhile, on another port
                var unused = ProjectPorts(granted: [:], others: [:], skipped: [], outsidePool: [])
                var r = request(p, owner: owner, result: &unused)
                r.preferred = port
                let grant = try ProjectError.wrapping { () throws(PortKitError) in try pool.grant(r, in: &book, env: env) }
                guard grant.lease.port == port else {
                    throw .core(.portUnavailable(grant.skipped.first { $0.port == port } ?? .held(port: port, holder: "another process", pids: [])))
                }
                taken[p] = port
            }
            fillCommands(&book, taken)
            return taken.keys.sorted { taken[$0]! < taken[$1]! }
        }
    }

    func request(_ p: ServicePort, owner: LeaseOwner?, result: inout ProjectPorts) -> LeaseRequest {
        let spec = project.service(p.service)!
        var preferred = p.name == nil ? spec.preferred : nil
        if let want = preferred, !pool.range.contains(want) {
            result.outsidePool.append((p.service, want))
            preferred = nil  // a project file's wish, not an order: another port will do
        }
        let info = LeaseProject(root: project.root, name: project.name, portName: p.name, command: nil, ready: spec.ready.rawValue)
        return LeaseRequest(service: p.service, preferred: preferred, owner: owner, project: info, binds: spec.binds(port: p.name))
    }

    /// Each lease's command with its templates filled, once every port is known.
    func fillCommands(_ book: inout LeaseBook, _ granted: [ServicePort: UInt16]) {
        let all = held(in: book).merging(granted) { _, b in b }
        for i in book.leases.indices {
            guard let p = book.leases[i].project, p.root == project.root, let spec = project.service(book.leases[i].service),
                  granted[ServicePort(service: spec.name, name: p.portName)] != nil else { continue }
            var command = PortTemplate.fill(spec.command, service: spec.name, ports: all)
            if command.utf8.count > LeaseProject.maxCommandBytes {
                command = String(decoding: command.utf8.prefix(LeaseProject.maxCommandBytes - 3), as: UTF8.self) + "…"
            }
            book.leases[i].project?.command = command
        }
    }

    /// The ports this project's services hold in `book`.
    public func held(in book: LeaseBook) -> [ServicePort: UInt16] {
        var out: [ServicePort: UInt16] = [:]
        for l in LeasePolicy.live(book.leases, env: env) where l.project?.root == project.root {
            out[ServicePort(service: l.service, name: l.project?.portName)] = l.port
        }
        return out
    }

    /// Ends the leases of `ports` still bound to one of `owners` (each keeps
    /// its port as last used, so the next start gets it back).
    public func release(_ ports: [ServicePort], ownedBy owners: [LeaseOwner]) throws(ProjectError) {
        try store.update { (book: inout LeaseBook) throws(ProjectError) in
            for p in ports {
                let key = project.key(p.service, port: p.name)
                guard let l = book.lease(for: key), let o = l.owner, owners.contains(o) else { continue }
                book.leases.removeAll { $0.key == key }
                book.lastUsed[key] = l.port
            }
        }
    }

    /// Binds the leases of `ports` to `owner` (the service's process, once it runs).
    public func bind(_ ports: [ServicePort], to owner: LeaseOwner, from previous: LeaseOwner) throws(ProjectError) {
        try store.update { (book: inout LeaseBook) throws(ProjectError) in
            for p in ports {
                if let i = book.leases.firstIndex(where: { $0.key == project.key(p.service, port: p.name) && $0.owner == previous }) {
                    book.leases[i].owner = owner
                }
            }
        }
    }
}
