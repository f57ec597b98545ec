import PortKit

/// What a key asks for. Handlers say *what* should happen; the run loop
/// decides *how* (htop's REDRAW / RESCAN / RESIZE flags, plus the commands
/// that touch the world).
public struct Reaction: Equatable, Sendable {
    public struct Flags: OptionSet, Sendable, Equatable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let redraw = Flags(rawValue: 1)
        public static let rescan = Flags(rawValue: 2)
        public static let repaint = Flags(rawValue: 4)  // forget the screen, draw everything (Ctrl-L)
        public static let quit = Flags(rawValue: 8)
        /// The interval changed: reschedule the next scan.
        public static let reschedule = Flags(rawValue: 16)
        /// Input typed ahead of this key is not for what comes next (a
        /// confirmation box, or whatever follows a submitted prompt): drop
        /// it, and the rest of this read burst, unread.
        public static let dropTypeAhead = Flags(rawValue: 32)
    }

    public enum Command: Equatable, Sendable {
        case reserve(port: UInt16, service: String)
        case release(port: UInt16)
        case kill(port: UInt16, targets: [KillTarget], signal: KillSignal)
        /// Open the URL in the desktop's browser (xdg-open).
        case open(url: String)
        /// Ask the `portdash up` running in `root` to restart `service` (its control socket).
        case restart(root: String, service: String)
    }

    public var flags: Flags
    public var command: Command?

    public init(_ flags: Flags = [], command: Command? = nil) { self.flags = flags; self.command = command }

    public static let none = Reaction()
    public static let redraw = Reaction(.redraw)
}
