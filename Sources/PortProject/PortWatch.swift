import PortKit
import Glibc

/// Waits for a port to listen (or to be free) by polling the socket table —
/// sock_diag where the kernel has it, as `status` reads it — never by
/// connecting, which a server would see as a client. Free is the rule every
/// verb uses (PortOccupancy): nothing listens, no socket but a TIME_WAIT is
/// on the port, and a bind as servers do it passes.
public struct PortWatch {
    public enum Target {
        case port(UInt16)
        /// A project's port, looked up in the state file at each poll (it
        /// may not be leased yet when the wait starts).
        case lease(LeaseKey)
    }

    let sockets: any SocketTableSource
    let probe: any PortProbing
    let leases: LeaseReader
    /// Seconds between polls.
    public var interval = 0.05

    public init(store: LeaseStore, root: ProcRoot = .system, probe: any PortProbing = BindProbe()) {
        sockets = SocketSources.best(root: root)
        self.probe = probe
        leases = LeaseReader(store: store, root: root)
    }

    /// True once the condition holds, false at `timeout` seconds.
    public func wait(for target: Target, free: Bool, timeout: Double) throws(PortKitError) -> Bool {
        let deadline = monotonicSeconds() + timeout
        while true {
            if let port = try port(of: target), try free ? isFree(port) : isListening(port) { return true }
            if monotonicSeconds() >= deadline { return false }
            usleep(UInt32(interval * 1_000_000))
        }
    }

    public func port(of target: Target) throws(PortKitError) -> UInt16? {
        switch target {
        case .port(let p): return p
        case .lease(let key):
            let (live, damage) = leases.read()
            if let damage { throw damage.error }
            return live.first { $0.key == key }?.port
        }
    }

    /// A LISTEN socket on the port, IPv4 or IPv6.
    public func isListening(_ port: UInt16) throws(PortKitError) -> Bool {
        try sockets.sockets(in: PortRange(uncheckedFirst: port, last: port)).contains { $0.state == .listen }
    }

    /// A server could bind the port now (PortOccupancy).
    public func isFree(_ port: UInt16) throws(PortKitError) -> Bool {
        let result = probe.probe(port)
        return PortOccupancy.isFree(probe: result, sockets: try sockets.sockets(in: PortRange(uncheckedFirst: port, last: port)))
    }
}
