/// A failure told to the person at the terminal: one line that names the
/// problem and, where there is one, the fix, and an exit status from
/// sysexits(3). Each layer has its own type (PortKitError here, ProjectError
/// in PortProject, CommandError in the CLI); `fail()` prints any of them.
public protocol UserFacingError: Error, Sendable, CustomStringConvertible {
    var exitCode: Int32 { get }
}

/// An error type of a layer above the core that carries a core error as it
/// is, so that `LeaseStore.update` can run a body that throws the upper
/// layer's errors and still report its own.
public protocol CarriesPortKitError: UserFacingError {
    init(core: PortKitError)
}

extension PortKitError: CarriesPortKitError {
    public init(core: PortKitError) { self = core }
}
