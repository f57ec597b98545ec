/// The lease environment of the real machine: the wall clock, /proc for
/// process liveness and ancestry, the bind probe, and one lazy scan of the
/// range to name whoever holds a busy port.
public final class SystemLeaseEnvironment: LeaseEnvironment {
    public let now: Int64
    public let range: PortRange
    let root: ProcRoot
    let probe: any PortProbing
    let reader: ProcessReader
    private var probes: [UInt16: ProbeResult] = [:]
    private var snapshot: PortSnapshot?

    public init(range: PortRange, root: ProcRoot = .system, probe: any PortProbing = BindProbe(), now: Int64 = epochSeconds()) {
        self.range = range; self.root = root; self.probe = probe; self.now = now
        self.reader = ProcessReader(root: root)
    }

    public func isAlive(_ owner: LeaseOwner) -> Bool {
        guard let stat = reader.stat(owner.pid) else { return false }
        return stat.startTime == owner.startTime && stat.state != "Z"
    }

    public func isLeaseholder(_ pid: Int32, owner: LeaseOwner) -> Bool {
        guard isAlive(owner) else { return false }
        return pid == owner.pid || reader.ancestors(of: pid).contains(owner.pid)
    }

    /// The bind probe alone: no scan to name the holder. This is what lease
    /// expiry asks on every `status` and dashboard refresh.
    public func isInUse(_ port: UInt16) -> Bool { !probed(port).isFree }

    private func probed(_ port: UInt16) -> ProbeResult {
        if let p = probes[port] { return p }
        let result = probe.probe(port)
        probes[port] = result
        return result
    }

    public func availability(_ port: UInt16) -> PortAvailability {
        let result = probed(port)
        if result.isFree { return .free }
        // Busy: name the holder. One scan of the range serves every port asked about.
        if snapshot == nil, range.contains(port) {
            var scanner = PortScanner(root: root, probe: probe)
            snapshot = try? scanner.scan(range)
        }
        var report = snapshot?.report(port)
        if report == nil {
            var scanner = PortScanner(root: root, probe: probe)
            report = (try? scanner.scan(PortRange(uncheckedFirst: port, last: port)))?.ports.first
        }
        guard let report else { return .busy(holder: "in use", pids: []) }
        if case .failed(let e) = result.ipv4, !result.isInUse { return .busy(holder: "bind failed: \(e)", pids: []) }
        return .busy(holder: report.holderSummary, pids: report.owners.map(\.pid))
    }

    /// The owner record for a running pid, or nil if there is no such process.
    public func owner(pid: Int32) -> LeaseOwner? {
        reader.startTime(pid).map { LeaseOwner(pid: pid, startTime: $0) }
    }
}
