import PortKit

/// What a subcommand works with: the pool, the state file, the real machine.
struct Context {
    let range: PortRange
    let store: LeaseStore
    let pool: LeasePool

    /// `lockTimeout`: how long to wait for the state lock unless
    /// PORTDASH_LOCK_TIMEOUT says otherwise (the dashboard waits less than a
    /// script would: a key must not freeze the screen for long).
    init(_ global: GlobalOptions, lockTimeout: Double = 10) throws {
        range = try global.resolvedRange()
        let path = try global.resolvedStatePath()
        // Clamped: NaN, inf or a negative value must not turn a bounded wait into a hang.
        var timeout = processEnvironment("PORTDASH_LOCK_TIMEOUT").flatMap(Double.init) ?? lockTimeout
        if !timeout.isFinite || timeout < 0 { timeout = lockTimeout }
        timeout = min(timeout, 600)
        store = LeaseStore(path: path, lockTimeout: timeout)
        pool = LeasePool(range: range)
    }

    func environment() -> SystemLeaseEnvironment { SystemLeaseEnvironment(range: range) }
}

/// "in 42m", "3h ago": lease times as people read them.
func relativeTime(_ t: Int64, now: Int64) -> String {
    let d = t.subtractingReportingOverflow(now).partialValue
    let a = d == .min ? Int64.max : abs(d)
    let text: String
    if a < 60 { text = "\(a)s" } else if a < 3600 { text = "\(a / 60)m" } else if a < 86400 { text = "\(a / 3600)h\((a % 3600) / 60)m" } else { text = "\(a / 86400)d" }
    return d >= 0 ? "in " + text : text + " ago"
}
