import PortKit
import Glibc

/// Counts connections: up to `limits.connections` are served, up to
/// `limits.refusals` more are answered 503, and beyond those a connection
/// is closed at once. Taken by the accept loop, left by each connection task.
final class ConnectionGate: @unchecked Sendable {
    enum Admission: Sendable { case serve, refuse, drop }

    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var serving = 0
    private var refusing = 0
    private let limits: ServeLimits

    init(limits: ServeLimits) {
        self.limits = limits
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    func admit() -> Admission {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        if serving < limits.connections { serving += 1; return .serve }
        if refusing < limits.refusals { refusing += 1; return .refuse }
        return .drop
    }

    func leave(_ admission: Admission) {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        switch admission {
        case .serve: serving -= 1
        case .refuse: refusing -= 1
        case .drop: break
        }
    }
}
