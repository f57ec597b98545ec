import PortKit
import Synchronization

/// Counts connections: up to `limits.connections` are served, up to
/// `limits.refusals` more are answered 503, and beyond those a connection
/// is closed at once. Taken by the accept loop, left by each connection task.
final class ConnectionGate: Sendable {
    enum Admission: Sendable { case serve, refuse, drop }

    private struct Counts { var serving = 0, refusing = 0 }
    private let counts = Mutex(Counts())
    private let limits: ServeLimits

    init(limits: ServeLimits) { self.limits = limits }

    func admit() -> Admission {
        counts.withLock { c in
            if c.serving < limits.connections { c.serving += 1; return .serve }
            if c.refusing < limits.refusals { c.refusing += 1; return .refuse }
            return .drop
        }
    }

    func leave(_ admission: Admission) {
        counts.withLock { c in
            switch admission {
            case .serve: c.serving -= 1
            case .refuse: c.refusing -= 1
            case .drop: break
            }
        }
    }
}
