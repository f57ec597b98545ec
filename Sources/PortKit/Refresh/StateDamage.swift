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
}
