/// The lease environment of the real machine: the wall clock, /proc for
/// process liveness and ancestry, the socket table for listeners, the bind
/// probe, and — only when a port is busy — a lookup that names its holder.
/// Each answer is asked of the system once per port.
public final class SystemLeaseEnvironment: LeaseEnvironment {
    public let now: Int64
    let reader: ProcessReader
    let probe: any PortProbing
    let sockets: any SocketTableSource
    /// Who holds a busy port (a scan); injected so that this type needs no scanner.
    let holders: (UInt16) -> PortReport?
    private var probes: [UInt16: ProbeResult] = [:]
    private var listening: [UInt16: Bool] = [:]

    public init(root: ProcRoot = .system, probe: any PortProbing = BindProbe(), now: Int64 = epochSeconds(),
                holders: @escaping (UInt16) -> PortReport?) {
        self.root = root
        self.reader = ProcessReader(root: root)
        self.probe = probe
        self.sockets = SocketSources.best(root: root)
        self.now = now
        self.holders = holders
    }

    /// The usual wiring: holders named by one lazy scan of `range`.
    public convenience init(range: PortRange, root: ProcRoot = .system, probe: any PortProbing = BindProbe(), now: Int64 = epochSeconds()) {
        let lookup = HolderLookup(range: range, root: root, probe: probe)
        self.init(root: root, probe: probe, now: now, holders: lookup.report)
    }

    let root: ProcRoot

    public func isAlive(_ owner: LeaseOwner) -> Bool { reader.isRunning(owner) }

    public func ancestors(of pid: Int32) -> [Int32] { reader.ancestors(of: pid) }
    public func group(of pid: Int32) -> String? { reader.group(of: pid) }

    public func isListening(_ port: UInt16) -> Bool {
        if let known = listening[port] { return known }
        let table = (try? sockets.sockets(in: PortRange(uncheckedFirst: port, last: port))) ?? []
        let result = table.contains { $0.state == .listen }
        listening[port] = result
        return result
    }

    public func availability(_ port: UInt16) -> PortAvailability {
        let result = probed(port)
        if result.isFree { return .free }
        if case .failed(let e) = result.ipv4, !result.isInUse { return .busy(holder: "bind failed: \(errnoText(e))", pids: []) }
        guard let report = holders(port) else { return .busy(holder: "in use", pids: []) }
        return .busy(holder: report.holderSummary, pids: report.owners.map(\.pid))
    }

    private func probed(_ port: UInt16) -> ProbeResult {
        if let p = probes[port] { return p }
        let result = probe.probe(port)
        probes[port] = result
        return result
    }

    /// The owner record for a running pid, or nil if there is no such process.
    public func owner(pid: Int32) -> LeaseOwner? {
        reader.startTime(pid).map { LeaseOwner(pid: pid, startTime: $0) }
    }
}
