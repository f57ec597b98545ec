/// Names whoever holds a busy port: one scan of the range serves every port
/// of it asked about; a port outside it gets a scan of its own.
public final class HolderLookup {
    let range: PortRange
    let root: ProcRoot
    let probe: any PortProbing
    private var snapshot: PortSnapshot?

    public init(range: PortRange, root: ProcRoot = .system, probe: any PortProbing = BindProbe()) {
        self.range = range; self.root = root; self.probe = probe
    }

    public func report(_ port: UInt16) -> PortReport? {
        if range.contains(port) {
            if snapshot == nil { snapshot = scan(range) }
            return snapshot?.report(port)
        }
        return scan(PortRange(uncheckedFirst: port, last: port))?.ports.first
    }

    private func scan(_ r: PortRange) -> PortSnapshot? {
        var scanner = PortScanner(root: root, probe: probe)
        return try? scanner.scan(r)
    }
}
