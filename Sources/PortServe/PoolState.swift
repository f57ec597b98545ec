import PortKit

/// What the last periodic refresh of the pool found, ready to serve: every
/// /port-status, /leases, /metrics and /healthz answer is read from here,
/// so requests never scan.
struct PoolState: Sendable {
    /// The last refresh that succeeded.
    var refresh: Refresh?
    /// `status --json`'s text for it.
    var statusJSON: String?
    /// Why /port-status cannot answer now (a damaged state file, /proc unreadable).
    var problem: String?
    var leases: Result<LeaseView, PortKitError>?
    var refreshes = 0
    /// monotonicSeconds() of the last refresh, successful or not.
    var lastAt = 0.0
}

/// The latest PoolState, shared by the refresh loop (the only writer) and the connections.
actor LiveView {
    private(set) var state = PoolState()

    func update(_ body: @Sendable (inout PoolState) -> Void) { body(&state) }
}
