import Glibc

/// Resolves socket inodes to the processes holding them. The plain walker
/// does a full /proc walk each time; the dashboard uses a caching one.
public protocol OwnerResolving {
    /// Holders of `inodes`. `primary` (the listeners) must be found wherever
    /// they are; a resolver may look for the others (connections, which
    /// their server holds) only near the primary ones.
    mutating func resolve(_ inodes: Set<UInt64>, primary: Set<UInt64>) throws(PortKitError) -> SocketOwners.Result
}

extension SocketOwners: OwnerResolving {
    public mutating func resolve(_ inodes: Set<UInt64>, primary: Set<UInt64>) throws(PortKitError) -> SocketOwners.Result {
        try find(inodes)
    }
}

/// Builds a PortSnapshot: probe each port, read the socket table for the
/// range, find the holders of each socket, read their details, classify.
public struct PortScanner<Resolver: OwnerResolving> {
    public let root: ProcRoot
    public var source: any SocketTableSource
    public var probe: any PortProbing
    public var resolver: Resolver
    public let users: UserNames
    /// Root sees every process of its pid namespace; what it cannot see is
    /// elsewhere. Fixtures set this to say who is looking.
    public var viewerIsRoot = geteuid() == 0

    public init(root: ProcRoot, source: any SocketTableSource, probe: any PortProbing, resolver: Resolver,
                users: UserNames = .shared) {
        self.root = root; self.source = source; self.probe = probe; self.resolver = resolver; self.users = users
    }

    /// Scans `range` (the pool). `leases` are the leases in force (expired
    /// ones already removed by the lease rules); they make ports `ours` or
    /// `conflict`.
    public mutating func scan(_ range: PortRange, leases: [Lease] = [], now: Int64 = epochSeconds()) throws(PortKitError) -> PortSnapshot {
        try scan(ports: Array(range.ports), enclosing: range, leases: leases, now: now, snapshotRange: range)
    }

    /// Scans exactly these ports (any of 1-65535), whatever the pool.
    public mutating func scan(ports: [UInt16], leases: [Lease] = [], now: Int64 = epochSeconds()) throws(PortKitError) -> PortSnapshot {
        let sorted = Array(Set(ports)).sorted()
        guard let lo = sorted.first, let hi = sorted.last else {
            return PortSnapshot(range: nil, ports: [], takenAt: now, unreadablePids: 0)
        }
        return try scan(ports: sorted, enclosing: PortRange(uncheckedFirst: lo, last: hi), leases: leases, now: now, snapshotRange: nil)
    }

    /// Every TCP port with a listening socket on this host (`status --all`),
    /// optionally only within `within` or only sockets of `uid`; with
    /// `namespaces`, also listeners in other network namespaces, marked.
    public mutating func scanListeners(within: PortRange? = nil, uid: UInt32? = nil, namespaces: NetNamespaces? = nil,
                                       leases: [Lease] = [], now: Int64 = epochSeconds()) throws(PortKitError) -> PortSnapshot {
        var sockets = try source.listeners()
        sockets += namespaces?.listeners() ?? []
        sockets = sockets.filter { s in
            (within?.contains(s.local.port) ?? true) && (uid.map { $0 == s.uid } ?? true)
        }
        let ports = Array(Set(sockets.map(\.local.port))).sorted()
        let probes = ports.map { probe.probe($0) }
        return try assemble(ports: ports, probes: probes, sockets: sockets, leases: leases, now: now, range: nil)
    }

    /// Probe first: a listener that appears between the probe and the table
    /// read then shows up in the table rather than being missed by both.
    mutating func scan(ports: [UInt16], enclosing: PortRange, leases: [Lease], now: Int64,
                       snapshotRange: PortRange?) throws(PortKitError) -> PortSnapshot {
        let probes = ports.map { probe.probe($0) }
        let busy = Set(zip(ports, probes).filter { !$0.1.isFree }.map(\.0))
        let wanted = Set(ports)
        let sockets = try source.sockets(in: enclosing, busy: busy).filter { wanted.contains($0.local.port) }
        return try assemble(ports: ports, probes: probes, sockets: sockets, leases: leases, now: now, range: snapshotRange)
    }

    /// Finds the holders of `sockets`, reads their details, and classifies each port.
    mutating func assemble(ports: [UInt16], probes: [ProbeResult], sockets: [TCPSocket], leases: [Lease], now: Int64,
                           range: PortRange?) throws(PortKitError) -> PortSnapshot {
        let inodes = Set(sockets.lazy.map(\.inode).filter { $0 != 0 })
        let primary = Set(sockets.lazy.filter { $0.state == .listen && $0.inode != 0 }.map(\.inode))
        let owners = try resolver.resolve(inodes, primary: primary)
        let reader = ProcessReader(root: root)
        let byPort = socketReports(sockets, holders: owners.holders, reader: reader)
        let leaseByPort = Dictionary(leases.map { ($0.port, $0) }, uniquingKeysWith: { a, _ in a })
        let reports = zip(ports, probes).map { port, probe in
            classify(port: port, sockets: (byPort[port] ?? []).sorted(by: SocketReport.shownFirst), probe: probe,
                     lease: leaseByPort[port], reader: reader, now: now)
        }
        return PortSnapshot(range: range, ports: reports, takenAt: now, unreadablePids: owners.unreadablePids)
    }

    /// Each socket with its holders' details (each pid read once), by port.
    func socketReports(_ sockets: [TCPSocket], holders: [UInt64: [FDRef]], reader: ProcessReader) -> [UInt16: [SocketReport]] {
        var details: [Int32: ProcessDetails?] = [:]
        func detail(_ pid: Int32) -> ProcessDetails? {
            if let d = details[pid] { return d }
            let d = reader.details(pid, users: users)
            details[pid] = d
            return d
        }
        var byPort: [UInt16: [SocketReport]] = [:]
        for s in sockets {
            let refs = s.inode == 0 ? [] : holders[s.inode] ?? []
            var seen = Set<Int32>()
            let procs = refs.compactMap { ref -> ProcessDetails? in
                guard seen.insert(ref.pid).inserted else { return nil }
                return detail(ref.pid)
            }
            let user = procs.isEmpty && s.inode != 0 ? users.name(s.uid) : ""
            byPort[s.local.port, default: []].append(SocketReport(socket: s, owners: procs, refs: refs, user: user))
        }
        return byPort
    }


    func classify(port: UInt16, sockets: [SocketReport], probe: ProbeResult, lease: Lease?, reader: ProcessReader, now: Int64) -> PortReport {
        // Sockets of other network namespaces hold no port of this host.
        let host = sockets.filter { $0.socket.netns == nil }
        let held = !host.isEmpty || probe.isInUse
        let note = note(host: host, elsewhere: sockets.count - host.count, probe: probe)

        guard let lease else {
            let state: PortState = held || !probe.isFree ? .foreign : .free
            return PortReport(port: port, state: state, lease: nil, leaseStatus: nil, sockets: sockets, probe: probe, note: note,
                              viewerIsRoot: viewerIsRoot)
        }
        // Leased: the lease rules decide, asked about what this scan saw.
        let listening = host.filter { $0.socket.state == .listen }
        let facts = ScanFacts(reader: reader, now: now, listening: !listening.isEmpty)
        let holders = Array(Set((listening.isEmpty ? host : listening).flatMap { $0.owners.map(\.pid) }))
        let state: PortState = LeasePolicy.isConflict(lease, holders: holders, env: facts) ? .conflict : .ours
        var report = PortReport(port: port, state: state, lease: lease, leaseStatus: LeasePolicy.status(of: lease, env: facts),
                                sockets: sockets, probe: probe, note: note, viewerIsRoot: viewerIsRoot)
        report.leftByKilledSupervisor = LeasePolicy.isLeftByKilledSupervisor(lease, env: facts)
        report.runningUp = LeasePolicy.runningUp(of: lease, env: facts)
        return report
    }
}

extension PortScanner {
    /// What the user should know that the state alone does not say: the
    /// probe and the table disagreeing, a bind error, hidden holders, or a
    /// listener only in another network namespace.
    func note(host: [SocketReport], elsewhere: Int, probe: ProbeResult) -> String? {
        if probe.isInUse && host.isEmpty {
            return "bind says in use but no TCP socket is listed: it was closed mid-scan, or is hidden from this view"
        }
        if !host.isEmpty && probe.isFree && host.contains(where: { $0.socket.state == .listen }) {
            return "a listener is listed but bind succeeded: it may use SO_REUSEPORT or was closed mid-scan"
        }
        if case .failed(let e) = probe.ipv4 { return "IPv4 bind failed: \(errnoText(e))" }
        if case .failed(let e) = probe.ipv6 { return "IPv6 bind failed: \(errnoText(e))" }
        if host.contains(where: { $0.owners.isEmpty && $0.socket.inode != 0 }) {
            return viewerIsRoot
                ? "some holders are not in this /proc (another pid namespace, or hidepid)"
                : "some holders could not be read (another user's process); run as root to see them"
        }
        if host.isEmpty && elsewhere > 0 {
            return "listening only in another network namespace (a container or `ip netns`): this host's port is not held"
        }
        return nil
    }
}

/// What one scan knows about one port, as the lease rules ask it.
struct ScanFacts: LeaseEnvironment {
    let reader: ProcessReader
    let now: Int64
    let listening: Bool

    func isAlive(_ owner: LeaseOwner) -> Bool { reader.isRunning(owner) }
    func ancestors(of pid: Int32) -> [Int32] { reader.ancestors(of: pid) }
    public func group(of pid: Int32) -> String? { reader.group(of: pid) }
    func isListening(_ port: UInt16) -> Bool { listening }
    /// Not asked by status or conflict; a scan never grants.
    func availability(_ port: UInt16) -> PortAvailability { listening ? .busy(holder: "in use", pids: []) : .free }
}

extension PortScanner where Resolver == SocketOwners {
    /// The scanner over the real system: sock_diag (or /proc/net/tcp), real
    /// binds, a full fd walk. On a fixture root it reads the fixture's tables.
    public init(root: ProcRoot = .system, probe: any PortProbing = BindProbe()) {
        self.init(root: root, source: SocketSources.best(root: root), probe: probe, resolver: SocketOwners(root: root))
    }
}

extension SocketReport {
    /// Listeners first, IPv4 before IPv6, then by state, remote port, inode.
    /// (Apart from PortScanner: a static of the generic type would capture
    /// its non-Sendable metatype in the sorting closure.)
    static func shownFirst(_ a: SocketReport, _ b: SocketReport) -> Bool {
        let ka = (a.socket.state == .listen ? 0 : 1, a.socket.local.family == .ipv4 ? 0 : 1, a.socket.state.rawValue)
        let kb = (b.socket.state == .listen ? 0 : 1, b.socket.local.family == .ipv4 ? 0 : 1, b.socket.state.rawValue)
        if ka != kb { return ka < kb }
        return (a.socket.remote.port, a.socket.inode) < (b.socket.remote.port, b.socket.inode)
    }
}
