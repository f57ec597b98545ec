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
        store = LeaseStore(path: path, lockTimeout: try Context.lockTimeout(default: lockTimeout))
        pool = LeasePool(range: range)
    }

    public func environment() -> SystemLeaseEnvironment { SystemLeaseEnvironment(range: range) }

    /// $PORTDASH_LOCK_TIMEOUT, else `default`. A value that is set but is not
    /// seconds from 0 to 600 is a usage error, not silently the default.
    static func lockTimeout(default fallback: Double) throws -> Double {
        guard let text = processEnvironment("PORTDASH_LOCK_TIMEOUT") else { return fallback }
        guard let v = Double(text), v.isFinite, v >= 0, v <= 600 else {
            throw Output.fail(CommandError.invalidSetting("PORTDASH_LOCK_TIMEOUT=\"\(text)\" is not seconds from 0 to 600; set e.g. PORTDASH_LOCK_TIMEOUT=10, or unset it"))
        }
        return v
    }
}
