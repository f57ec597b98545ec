/// When a service that ended on its own is started again
/// (`restart = "no" | "on-failure" | "always"` in portdash.toml).
public enum RestartPolicy: String, Sendable, CaseIterable {
    case no
    case onFailure = "on-failure"
    case always

    /// Does an end with `status` call for a restart?
    public func restarts(after status: ExitStatusCode) -> Bool {
        switch self {
        case .no: return false
        case .onFailure: return status != 0
        case .always: return true
        }
    }

    /// The wait before restart number `attempt` (1, 2, …): 1 s doubling to 30 s.
    public static func backoff(attempt: Int) -> Double {
        min(30, Double(1 << min(max(attempt - 1, 0), 5)))
    }

    /// A service that ran this long before it ended starts its backoff anew.
    public static let resetAfter: Double = 60
}

/// An exit status as a shell reports it: the code, or 128+N for signal N.
public typealias ExitStatusCode = Int32
