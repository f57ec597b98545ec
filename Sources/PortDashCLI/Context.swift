import PortKit

/// What a subcommand works with: the pool, the state file, the real machine.
public struct Context {
    public let range: PortRange
    public let store: LeaseStore
    public let pool: LeasePool

    /// `lockTimeout`: how long to wait for the state lock unless
    /// PORTDASH_LOCK_TIMEOUT says otherwise (the dashboard waits less than a
    /// script would: a key must not freeze the screen for long).
    public init(_ global: GlobalOptions, lockTimeout: Double = 10) throws {
        range = try global.resolvedRange()
        let path = try global.resolvedStatePath()
        // Clamped: NaN, inf or a negative value must not turn a bounded wait into a hang.
        var timeout = processEnvironment("PORTDASH_LOCK_TIMEOUT").flatMap(Double.init) ?? lockTimeout
        if !timeout.isFinite || timeout < 0 { timeout = lockTimeout }
        timeout = min(timeout, 600)
        store = LeaseStore(path: path, lockTimeout: timeout)
        pool = LeasePool(range: range)
    }

    public func environment() -> SystemLeaseEnvironment { SystemLeaseEnvironment(range: range) }
}
