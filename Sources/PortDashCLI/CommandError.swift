import PortKit

/// The verbs' own failures: a setting the command line cannot use, and
/// outcomes that only a verb knows (kill found nothing, wait gave up).
public enum CommandError: UserFacingError, Equatable {
    /// An environment variable or option value that cannot be used (the text says which and the fix).
    case invalidSetting(String)
    /// The dashboard was started where it cannot draw.
    case needsTerminal(why: String)
    /// `kill` found no process to signal on the port.
    case nothingToKill(port: UInt16, why: String)
    /// After `kill`, another process still holds the port (`same`: the one signalled, which did not let go).
    case stillHeld(port: UInt16, by: String, same: Bool)
    /// `wait` gave up.
    case waitTimedOut(what: String, seconds: Double)

    public var description: String {
        switch self {
        case .invalidSetting(let why):
            return why
        case .needsTerminal(let why):
            return "\(why); for scripts use: portdash status --json"
        case .nothingToKill(let port, let why):
            return "nothing to kill on port \(port): it is \(why)"
        case .stillHeld(let port, let by, let same):
            return "port \(port) is still held\(same ? " by" : ", now by") \(by); see it with: portdash status \(port)"
        case .waitTimedOut(let what, let seconds):
            return "\(what) after \(secondsText(seconds)) s"
        }
    }

    /// sysexits(3): a usage error, or the request cannot be met now (a port
    /// still held is still not free).
    public var exitCode: Int32 {
        switch self {
        case .invalidSetting: return 64  // EX_USAGE
        case .needsTerminal, .nothingToKill, .stillHeld, .waitTimedOut: return 69  // EX_UNAVAILABLE
        }
    }
}
