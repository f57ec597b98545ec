/// Why a port cannot be granted to a service.
public enum Obstacle: Equatable, Sendable, CustomStringConvertible {
    /// Leased or reserved to another service; `ofProject`: a project's
    /// lease, which is released by its port rather than its name.
    case leased(port: UInt16, to: String, kind: Lease.Kind, ofProject: Bool = false)
    /// Held by a process that is not the leaseholder (the bind probe failed).
    case held(port: UInt16, holder: String, pids: [Int32])

    public var port: UInt16 {
        switch self {
        case .leased(let port, _, _, _), .held(let port, _, _): return port
        }
    }

    /// "5000 is reserved to db", "5000 busy: python3 (pid 4242)".
    public var description: String {
        switch self {
        case .leased(let port, let service, let kind, _):
            return "\(port) is \(kind == .reservation ? "reserved" : "leased") to \(service)"
        case .held(let port, let holder, _):
            return "\(port) busy: \(holder)"
        }
    }
}
