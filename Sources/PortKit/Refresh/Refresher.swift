/// What a refresh looks at.
public enum ScanScope: Sendable, Equatable {
    /// The pool.
    case pool(PortRange)
    /// Exactly these ports.
    case ports([UInt16])
    /// Every listener on the host (and, with `namespaces`, in other network
    /// namespaces), optionally within a port range or of one uid.
    case listeners(within: PortRange?, uid: UInt32?, namespaces: Bool)
}

/// One refresh: the snapshot, the state file's health, how long it took,
/// and warnings that are not about one port.
public struct Refresh: Sendable {
    public let snapshot: PortSnapshot
    public let damage: StateDamage?
    public let seconds: Double
    public let warnings: [String]
}

/// The one refresh path: the leases in force (LeaseReader) and a scanner.
/// `status`, the dashboard, `serve` and `bench-refresh` all refresh through
/// it, so what the benchmark times is what users run.
/// @unchecked: its reader, source and resolver keep unlocked caches; each
/// owner calls `refresh` from one queue (the dashboard's scan worker,
/// serve's RefreshQueue), never from two threads at once.
public final class Refresher<Resolver: OwnerResolving>: @unchecked Sendable {
    public var scanner: PortScanner<Resolver>
    public let leases: LeaseReader
    let namespaces: NetNamespaces
    let ephemeral: EphemeralPorts?

    public init(scanner: PortScanner<Resolver>, leases: LeaseReader) {
        self.scanner = scanner
        self.leases = leases
        namespaces = NetNamespaces(root: scanner.root)
        // Read once: it changes with a sysctl, not between refreshes.
        ephemeral = EphemeralPorts(root: scanner.root)
    }

    public func refresh(_ scope: ScanScope) throws(PortKitError) -> Refresh {
        let start = monotonicSeconds()
        let (live, damage) = leases.read()
        let snapshot: PortSnapshot
        var warnings: [String] = []
        switch scope {
        case .pool(let range):
            snapshot = try scanner.scan(range, leases: live)
            if let w = ephemeral?.warning(for: range) { warnings.append(w) }
        case .ports(let ports):
            snapshot = try scanner.scan(ports: ports, leases: live)
        case .listeners(let within, let uid, let withNamespaces):
            snapshot = try scanner.scanListeners(within: within, uid: uid, namespaces: withNamespaces ? namespaces : nil, leases: live)
        }
        return Refresh(snapshot: snapshot, damage: damage, seconds: monotonicSeconds() - start, warnings: warnings)
    }
}

extension Refresher where Resolver == CachingOwnerResolver {
    /// For refreshing again and again (the dashboard, `serve`): listeners
    /// re-asked every time, other sockets every few seconds, holders
    /// re-verified instead of walking /proc.
    public static func live(store: LeaseStore, root: ProcRoot = .system, probe: any PortProbing = BindProbe()) -> Refresher {
        let scanner = PortScanner(root: root, source: RefreshingSocketSource(root: root), probe: probe,
                                  resolver: CachingOwnerResolver(root: root))
        return Refresher(scanner: scanner, leases: LeaseReader(store: store, root: root))
    }
}

extension Refresher where Resolver == SocketOwners {
    /// For one look (`status`, `kill`): the fastest source, one /proc walk.
    public static func once(store: LeaseStore, root: ProcRoot = .system, probe: any PortProbing = BindProbe()) -> Refresher {
        Refresher(scanner: PortScanner(root: root, probe: probe), leases: LeaseReader(store: store, root: root))
    }
}
