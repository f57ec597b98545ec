/// Whether a server could take a port now: the one rule behind "free" for
/// grants (`lease`, `run`, `up`, `env`, through SystemLeaseEnvironment),
/// `status` and the dashboard (PortScanner.classify), `kill`'s look
/// afterwards and `wait --free`.
///
/// Servers bind with SO_REUSEADDR (Python's socketserver, Werkzeug, uvicorn,
/// Django, Node, Go, nginx), and so does BindProbe. On Linux such a bind
/// (net/ipv4/inet_connection_sock.c, inet_bind_conflict) fails only on a
/// socket of the port that listens, or that did not set SO_REUSEADDR itself.
/// A TIME_WAIT keeps the SO_REUSEADDR of the socket it came from
/// (inet_twsk_alloc: tw_reuse = sk_reuse; an accepted socket has its
/// listener's): the TIME_WAITs of a server that set it stand in nobody's
/// way, those of one that did not still make the probe fail — rightly, no
/// server can bind there until they end (60 s).
///
/// What a SO_REUSEADDR bind does not see, the socket table does: a socket
/// bound with SO_REUSEADDR but not listening (a server between bind() and
/// listen(); sock_diag lists it as CLOSE, kernel 6.8+), a connection the old
/// server left (ESTABLISHED, CLOSE_WAIT, FIN_WAIT…). Those hold the port too.
public enum PortOccupancy {
    /// Free: the probe passed on every family, and no socket of this host
    /// but a TIME_WAIT or a closing orphan has the port as its local port. `sockets` are those
    /// the table lists with that local port.
    public static func isFree(probe: ProbeResult, sockets: [TCPSocket]) -> Bool {
        probe.isFree && !sockets.contains(where: holdsPort)
    }

    /// A socket that keeps a server off its local port: anything of this
    /// network namespace (a socket of another holds no port of this host)
    /// but what the kernel alone is finishing — a TIME_WAIT, or an orphan
    /// (no process has it: inode 0) closing after its process closed it, such
    /// as the FIN_WAIT2 a server leaves when a client kept an idle
    /// connection open across its Ctrl-C. Like a TIME_WAIT, such an orphan
    /// stands in the way of a SO_REUSEADDR bind only if its own server did
    /// not set SO_REUSEADDR, and then the probe fails.
    public static func holdsPort(_ socket: TCPSocket) -> Bool {
        guard socket.netns == nil, socket.state != .timeWait else { return false }
        return !(socket.inode == 0 && closingStates.contains(socket.state))
    }

    /// States of a socket whose process closed it (tcp(7)): FIN_WAIT1,
    /// FIN_WAIT2, CLOSING, LAST_ACK.
    static let closingStates: Set<TCPState> = [.finWait1, .finWait2, .closing, .lastAck]
}
