/// The lease environment of the real machine: the wall clock, /proc for
/// process liveness and ancestry, the socket table for listeners, the bind
/// probe, and — only when a port is busy — a lookup that names its holder.
/// Each answer is asked of the system once: one LISTEN-only scan of every
/// port says which leases are listened on (`leases` of a thousand asks one
/// question, not a thousand), one read of the pool's sockets and a probe
/// per port asked say which are free.
public final class SystemLeaseEnvironment: LeaseEnvironment {
    public let now: Int64
    let reader: ProcessReader
    let probe: any PortProbing
    let sockets: any SocketTableSource
    /// The pool: its sockets are read in one query, at the first port asked.
    let range: PortRange?
    /// Who holds a busy port (a scan); injected so that this type needs no scanner.
    let holders: (UInt16) -> PortReport?
    private var probes: [UInt16: ProbeResult] = [:]
    private var listening: Set<UInt16>?
    private var poolSockets: [UInt16: [TCPSocket]]?

    public init(root: ProcRoot = .system, probe: any PortProbing = BindProbe(), now: Int64 = epochSeconds(),
                range: PortRange? = nil, sockets: (any SocketTableSource)? = nil, holders: @escaping (UInt16) -> PortReport?) {
        self.root = root
        self.reader = ProcessReader(root: root)
        self.probe = probe
        self.sockets = sockets ?? SocketSources.best(root: root)
        self.range = range
        self.now = now
        self.holders = holders
    }

    /// The usual wiring: holders named by one lazy scan of `range`.
    public convenience init(range: PortRange, root: ProcRoot = .system, probe: any PortProbing = BindProbe(), now: Int64 = epochSeconds()) {
        let lookup = HolderLookup(range: range, root: root, probe: probe)
        self.init(root: root, probe: probe, now: now, range: range, holders: lookup.report)
    }

    let root: ProcRoot

    public func isAlive(_ owner: LeaseOwner) -> Bool { reader.isRunning(owner) }

    public func ancestors(of pid: Int32) -> [Int32] { reader.ancestors(of: pid) }
    public func group(of pid: Int32) -> String? { reader.group(of: pid) }

    /// From one LISTEN-only scan of every port, at the first question.
    public func isListening(_ port: UInt16) -> Bool {
        if listening == nil { listening = Set(((try? sockets.listeners()) ?? []).map(\.local.port)) }
        return listening!.contains(port)
    }

    public func availability(_ port: UInt16) -> PortAvailability {
        let result = probed(port)
        let table = socketsBound(to: port)
        if PortOccupancy.isFree(probe: result, sockets: table) { return .free }
        if case .failed(let e) = result.ipv4, !result.isInUse, !table.contains(where: { PortOccupancy.holdsPort($0) }) {
            return .busy(holder: "bind failed: \(errnoText(e))", pids: [])
        }
        guard let report = holders(port) else { return .busy(holder: "in use", pids: []) }
        return .busy(holder: report.holderSummary, pids: report.owners.map(\.pid))
    }

    private func probed(_ port: UInt16) -> ProbeResult {
        if let p = probes[port] { return p }
        let result = probe.probe(port)
        probes[port] = result
        return result
    }

    /// The sockets whose local port is `port`: the pool's from one query,
    /// a port outside it from one of its own. Unreadable: none (the probe
    /// alone decides).
    private func socketsBound(to port: UInt16) -> [TCPSocket] {
        guard let range, range.contains(port) else {
            return (try? sockets.sockets(in: PortRange(uncheckedFirst: port, last: port))) ?? []
        }
        if poolSockets == nil { poolSockets = Dictionary(grouping: (try? sockets.sockets(in: range)) ?? [], by: \.local.port) }
        return poolSockets![port] ?? []
    }

    /// The owner record for a running pid, or nil if there is no such process.
    public func owner(pid: Int32) -> LeaseOwner? {
        reader.startTime(pid).map { LeaseOwner(pid: pid, startTime: $0) }
    }
}
