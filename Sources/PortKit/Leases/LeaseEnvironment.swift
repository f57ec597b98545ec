/// What the lease rules need to know about the world, as narrow questions.
/// The real answers come from /proc, the socket table and bind(2)
/// (`SystemLeaseEnvironment`); a scan answers them from its own snapshot
/// (`PortScanner`); tests answer them from a table.
public protocol LeaseEnvironment {
    var now: Int64 { get }
    /// Is this exact process (pid and start time) still running?
    func isAlive(_ owner: LeaseOwner) -> Bool
    /// The parents of `pid`, nearest first (empty if it is gone).
    func ancestors(of pid: Int32) -> [Int32]
    /// Its cgroup v2 path (nil if gone or unknown).
    func group(of pid: Int32) -> String?
    /// Does a socket listen on the port? (A lease whose port is listened on
    /// is active, and is renewed at expiry.)
    func isListening(_ port: UInt16) -> Bool
    /// Does the bind probe pass, and if not, who holds the port?
    func availability(_ port: UInt16) -> PortAvailability
}

public enum PortAvailability: Equatable, Sendable {
    case free
    /// Held: who holds it ("python3 (pid 4242)") and their pids (empty if hidden).
    case busy(holder: String, pids: [Int32])
}
