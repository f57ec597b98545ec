/// How a port stands: whether a lease of ours covers it, and whether
/// someone else holds it (PortScanner.classify decides, LeasePolicy says
/// what is a conflict).
public enum PortState: String, Sendable, Codable, CaseIterable {
    /// No lease, and the bind probe succeeds.
    case free
    /// Covered by one of our leases, and not held by anyone else.
    case ours
    /// Held by something, with no lease of ours.
    case foreign
    /// Leased by us, but held by a process that is not the leaseholder.
    case conflict
}

/// One socket bound to a port of the range, with every process holding it.
public struct SocketReport: Sendable, Equatable {
    public let socket: TCPSocket
    /// Empty when no holder could be read (another user's process without
    /// root, a pid gone mid-scan, or a TIME_WAIT with no file at all).
    public let owners: [ProcessDetails]
    /// Where each owner holds it (pid, fd), for the dashboard's cache.
    public let refs: [FDRef]
    /// The user name of the socket's uid (shown when the owner is hidden).
    public let user: String

    public init(socket: TCPSocket, owners: [ProcessDetails], refs: [FDRef], user: String = "") {
        self.socket = socket; self.owners = owners; self.refs = refs; self.user = user
    }
}

/// Everything known about one port at one moment.
public struct PortReport: Sendable, Equatable {
    public let port: UInt16
    public let state: PortState
    public let lease: Lease?
    public let leaseStatus: LeaseStatus?
    /// LISTEN sockets first, then the rest by state.
    public let sockets: [SocketReport]
    public let probe: ProbeResult
    /// Set when the probe and the socket table disagree, or holders are hidden.
    public let note: String?

    /// Whoever scanned was root: then a hidden holder is not a matter of
    /// permissions but of a process this /proc does not show.
    public let viewerIsRoot: Bool

    /// The lease's service outlived the `up` or `run` that ran it (killed).
    public var leftByKilledSupervisor = false

    /// The `portdash up` that holds this project lease, while it runs
    /// (LeasePolicy.runningUp): R restarts the service through it; d leaves the lease to it.
    public var runningUp: ProcessStamp?

    public init(port: UInt16, state: PortState, lease: Lease?, leaseStatus: LeaseStatus?,
                sockets: [SocketReport], probe: ProbeResult, note: String?, viewerIsRoot: Bool = false) {
        self.port = port; self.state = state; self.lease = lease; self.leaseStatus = leaseStatus
        self.sockets = sockets; self.probe = probe; self.note = note; self.viewerIsRoot = viewerIsRoot
    }

    public var listeners: [SocketReport] { sockets.filter { $0.socket.state == .listen } }
    /// Connections accepted on the port (the server side of ESTABLISHED and friends).
    public var connectionCount: Int { sockets.filter { $0.socket.state != .listen }.count }

    /// Every distinct owner of every socket, in pid order.
    public var owners: [ProcessDetails] {
        var seen = Set<Int32>()
        var out: [ProcessDetails] = []
        for s in (listeners.isEmpty ? sockets : listeners) {
            for o in s.owners where seen.insert(o.pid).inserted { out.append(o) }
        }
        return out.sorted { $0.pid < $1.pid }
    }

    /// "pid hidden" holders: sockets with no readable owner, by uid.
    public var hiddenUIDs: [UInt32] {
        var uids: [UInt32] = []
        for s in sockets where s.owners.isEmpty && s.socket.inode != 0 && !uids.contains(s.socket.uid) {
            uids.append(s.socket.uid)
        }
        return uids
    }

    /// Why the holder of a socket of uid `uid` has no pid, and what to do:
    /// one rule for the table, the details pane, the dashboard and `kill`.
    public func hiddenHolderText(uid: UInt32) -> String {
        viewerIsRoot
            ? "uid \(uid), pid hidden (a process this /proc does not show: another pid namespace such as a container, or /proc mounted with hidepid)"
            : "uid \(uid), pid hidden (run as root to see it)"
    }

    /// What a kill of a port with only hidden holders should tell the user.
    public func hiddenKillAdvice(uid: UInt32) -> String {
        viewerIsRoot
            ? "port \(port) is held by uid \(uid) in a process this /proc does not show (another pid namespace such as a container, or /proc mounted with hidepid); stop it where it runs"
            : "port \(port) is held by uid \(uid), pid hidden; to stop it run: sudo portdash kill \(port)"
    }

    /// One line saying who holds the port, for messages: "python3 (pid 4242)".
    public var holderSummary: String {
        let o = owners
        if !o.isEmpty {
            return o.prefix(3).map { "\($0.name) (pid \($0.pid))" }.joined(separator: ", ")
                + (o.count > 3 ? " and \(o.count - 3) more" : "")
        }
        if let uid = hiddenUIDs.first { return "uid \(uid), pid hidden" }
        if let s = sockets.first { return s.socket.state.name }
        return probe.isInUse ? "an unseen socket" : "nobody"
    }
}

/// A set of ports at one moment: the pool, given ports, or every listener.
public struct PortSnapshot: Sendable, Equatable {
    /// The pool scanned; nil for given ports and for every listener.
    public let range: PortRange?
    /// One report per port, in port order.
    public let ports: [PortReport]
    /// Seconds since the epoch when the scan finished.
    public let takenAt: Int64
    /// Processes whose descriptors could not be read (not root).
    public let unreadablePids: Int
    private let index: [UInt16: Int]

    public init(range: PortRange?, ports: [PortReport], takenAt: Int64, unreadablePids: Int) {
        self.range = range; self.ports = ports; self.takenAt = takenAt; self.unreadablePids = unreadablePids
        index = Dictionary(ports.enumerated().map { ($1.port, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func report(_ port: UInt16) -> PortReport? { index[port].map { ports[$0] } }

    public func count(_ state: PortState) -> Int { ports.filter { $0.state == state }.count }

    public static func == (a: PortSnapshot, b: PortSnapshot) -> Bool {
        a.range == b.range && a.ports == b.ports && a.takenAt == b.takenAt && a.unreadablePids == b.unreadablePids
    }
}
