/// The dashboard's source. Every refresh asks the kernel for the range's
/// listeners only (cheap at any load); the sockets in other states
/// (accepted connections, TIME_WAIT) come from a full dump at most every
/// `fullEvery` seconds, or at once when a port is in use and neither the
/// listeners nor the last full dump explain it.
/// @unchecked: the last dump is unlocked state; one refresh at a time
/// reads it (its Refresher's, on one queue).
public final class RefreshingSocketSource: SocketTableSource, @unchecked Sendable {
    let listening: any SocketTableSource
    let everything: any SocketTableSource
    public let fullEvery: Double
    private var lastFull: [TCPSocket] = []
    private var lastFullAt = -Double.infinity
    /// For measurement: whether the last call did a full dump.
    public private(set) var lastWasFull = false

    public init(root: ProcRoot = .system, fullEvery: Double = 5) {
        self.fullEvery = fullEvery
        // A LISTEN-only trial is cheap (the listening hash is small). A
        // fixture root has only its tables.
        if root == .system, (try? SockDiagSource(states: SockDiagSource.listenOnly).sockets(in: PortRange(uncheckedFirst: 1, last: 1))) != nil {
            listening = SockDiagSource(states: SockDiagSource.listenOnly)
            everything = FallbackSource(primary: SockDiagSource(), fallback: ProcNetTCPSource())
        } else {
            // No sock_diag: /proc/net/tcp costs the same for one state or all.
            listening = ProcNetTCPSource(root: root)
            everything = ProcNetTCPSource(root: root)
        }
    }

    public func sockets(in range: PortRange) throws(PortKitError) -> [TCPSocket] {
        try sockets(in: range, busy: [])
    }

    public func listeners() throws(PortKitError) -> [TCPSocket] { try listening.listeners() }

    public func sockets(in range: PortRange, busy: Set<UInt16>) throws(PortKitError) -> [TCPSocket] {
        let now = monotonicSeconds()
        let listening = try self.listening.sockets(in: range).filter { $0.state == .listen }
        let explained = Set(listening.map(\.local.port)).union(lastFull.map(\.local.port))
        if now - lastFullAt >= fullEvery || !busy.isSubset(of: explained) {
            lastFull = try everything.sockets(in: range)
            lastFullAt = now
            lastWasFull = true
            return lastFull
        }
        lastWasFull = false
        return listening + lastFull.filter { $0.state != .listen }
    }
}
