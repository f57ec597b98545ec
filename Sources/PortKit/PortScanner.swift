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

    /// Scans `range`. `leases` are the leases in force (expired ones already
    /// removed by the lease engine); they make ports `ours` or `conflict`.
    public mutating func scan(_ range: PortRange, leases: [Lease] = [], now: Int64 = epochSeconds()) throws(PortKitError) -> PortSnapshot {
        // Probe first: a listener that appears between the probe and the table
        // read then shows up in the table rather than being missed by both.
        let probes = range.ports.map { probe.probe($0) }
        let busy = Set(zip(range.ports, probes).filter { !$0.1.isFree }.map(\.0))
        let sockets = try source.sockets(in: range, busy: busy)
        let inodes = Set(sockets.lazy.map(\.inode).filter { $0 != 0 })
        let primary = Set(sockets.lazy.filter { $0.state == .listen && $0.inode != 0 }.map(\.inode))
        let owners = try resolver.resolve(inodes, primary: primary)

        let reader = ProcessReader(root: root)
        var details: [Int32: ProcessDetails?] = [:]
        func detail(_ pid: Int32) -> ProcessDetails? {
            if let d = details[pid] { return d }
            let d = reader.details(pid, users: users)
            details[pid] = d
            return d
        }

        var byPort: [UInt16: [SocketReport]] = [:]
        for s in sockets {
            let refs = s.inode == 0 ? [] : owners.holders[s.inode] ?? []
            var seen = Set<Int32>()
            let procs = refs.compactMap { ref -> ProcessDetails? in
                guard seen.insert(ref.pid).inserted else { return nil }
                return detail(ref.pid)
            }
            let user = procs.isEmpty && s.inode != 0 ? users.name(s.uid) : ""
            byPort[s.local.port, default: []].append(SocketReport(socket: s, owners: procs, refs: refs, user: user))
        }
        let leaseByPort = Dictionary(leases.map { ($0.port, $0) }, uniquingKeysWith: { a, _ in a })

        var reports: [PortReport] = []
        reports.reserveCapacity(range.count)
        for (i, port) in range.ports.enumerated() {
            let socks = (byPort[port] ?? []).sorted(by: PortScanner.socketOrder)
            reports.append(classify(port: port, sockets: socks, probe: probes[i], lease: leaseByPort[port], reader: reader, now: now))
        }
        return PortSnapshot(range: range, ports: reports, takenAt: now, unreadablePids: owners.unreadablePids)
    }

    static func socketOrder(_ a: SocketReport, _ b: SocketReport) -> Bool {
        let ka = (a.socket.state == .listen ? 0 : 1, a.socket.local.family == .ipv4 ? 0 : 1, a.socket.state.rawValue)
        let kb = (b.socket.state == .listen ? 0 : 1, b.socket.local.family == .ipv4 ? 0 : 1, b.socket.state.rawValue)
        if ka != kb { return ka < kb }
        return (a.socket.remote.port, a.socket.inode) < (b.socket.remote.port, b.socket.inode)
    }

    func classify(port: UInt16, sockets: [SocketReport], probe: ProbeResult, lease: Lease?, reader: ProcessReader, now: Int64) -> PortReport {
        let held = !sockets.isEmpty || probe.isInUse
        var note: String? = nil
        if probe.isInUse && sockets.isEmpty {
            note = "bind says in use but no TCP socket is listed: it was closed mid-scan, or is hidden from this view"
        } else if !sockets.isEmpty && probe.isFree && sockets.contains(where: { $0.socket.state == .listen }) {
            note = "a listener is listed but bind succeeded: it may use SO_REUSEPORT or was closed mid-scan"
        } else if case .failed(let e) = probe.ipv4 {
            note = "IPv4 bind failed: \(e)"
        } else if case .failed(let e) = probe.ipv6 {
            note = "IPv6 bind failed: \(e)"
        }
        let hidden = sockets.contains { $0.owners.isEmpty && $0.socket.inode != 0 }
        if note == nil && hidden {
            note = viewerIsRoot
                ? "some holders are not in this /proc (another pid namespace, or hidepid)"
                : "some holders could not be read (another user's process); run as root to see them"
        }

        guard let lease else {
            let state: PortState = held || !probe.isFree ? .foreign : .free
            return PortReport(port: port, state: state, lease: nil, leaseStatus: nil, sockets: sockets, probe: probe, note: note,
                              viewerIsRoot: viewerIsRoot)
        }
        // Leased: the lease rules decide, asked about what this scan saw.
        let facts = ScanFacts(reader: reader, now: now, listening: sockets.contains { $0.socket.state == .listen })
        let listening = sockets.filter { $0.socket.state == .listen }
        let holders = Array(Set((listening.isEmpty ? sockets : listening).flatMap { $0.owners.map(\.pid) }))
        let state: PortState = LeasePolicy.isConflict(lease, holders: holders, env: facts) ? .conflict : .ours
        return PortReport(port: port, state: state, lease: lease, leaseStatus: LeasePolicy.status(of: lease, env: facts),
                          sockets: sockets, probe: probe, note: note, viewerIsRoot: viewerIsRoot)
    }
}

/// What one scan knows about one port, as the lease rules ask it.
struct ScanFacts: LeaseEnvironment {
    let reader: ProcessReader
    let now: Int64
    let listening: Bool

    func isAlive(_ owner: LeaseOwner) -> Bool { reader.isRunning(owner) }
    func ancestors(of pid: Int32) -> [Int32] { reader.ancestors(of: pid) }
    func isListening(_ port: UInt16) -> Bool { listening }
    /// Not asked by status or conflict; a scan never grants.
    func availability(_ port: UInt16) -> PortAvailability { listening ? .busy(holder: "in use", pids: []) : .free }
}

extension PortScanner where Resolver == SocketOwners {
    /// The scanner over the real system: sock_diag (or /proc/net/tcp), real
    /// binds, a full fd walk. On a fixture root it reads the fixture's tables.
    public init(root: ProcRoot = .system, probe: any PortProbing = BindProbe()) {
        self.init(root: root, source: FastSocketSource.best(root: root), probe: probe, resolver: SocketOwners(root: root))
    }
}
