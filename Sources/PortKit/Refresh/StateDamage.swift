/// The state file could not be read since `since`: a refresh keeps the
/// leases of the last good read (`leasesAsOf`; nil when there never was
/// one) rather than showing every lease as released.
public struct StateDamage: Sendable, Equatable {
    public let error: PortKitError
    public let since: Int64
    public let leasesAsOf: Int64?

    public init(error: PortKitError, since: Int64, leasesAsOf: Int64?) {
        self.error = error
        self.since = since
        self.leasesAsOf = leasesAsOf
    }

    /// The one line that says what is wrong with the file.
    public var problem: String { error.description }

    /// A file a newer portdash wrote is valid, not damaged: `repair` would
    /// throw its leases away, so it is never advised for one.
    public var isNewerVersion: Bool {
        if case .newerStateFile = error { return true }
        return false
    }

    /// "damaged", or "written by a newer portdash".
    public var condition: String { isNewerVersion ? "written by a newer portdash" : "damaged" }

    /// What to do about it.
    public var fix: String { isNewerVersion ? "use the newer portdash" : "run portdash repair" }
}
