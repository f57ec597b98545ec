import PortKit

/// Everything the dashboard shows, as plain data: key handling changes it,
/// the renderer draws it, tests inspect it.
public struct DashboardState: Sendable {
    public enum Mode: Sendable, Equatable {
        case normal
        case help
        /// Typing a service name to reserve `port`.
        case reservePrompt(port: UInt16, text: String)
        /// Waiting for y/n before signalling these processes.
        case confirmKill(port: UInt16, targets: [KillTarget])
    }

    public struct Event: Sendable, Equatable {
        public let time: Int64
        public let text: String
        public let style: Style
        public init(time: Int64, text: String, style: Style = .normal) { self.time = time; self.text = text; self.style = style }
    }

    public let range: PortRange
    public let statePath: String
    public var snapshot: PortSnapshot?
    /// Index of the selected port within the range.
    public var selected = 0
    /// First port row shown (scrolling when the range is taller than the screen).
    public var scroll = 0
    public var showDetails = false
    public var mode: Mode = .normal
    public var interval: Double
    public var events: [Event] = []
    /// A one-line message in the header (what the last action did), with its style.
    public var message: (text: String, style: Style)?
    /// The state file could not be read: the last good leases are shown,
    /// marked stale, and reserve/release are refused until it is good again.
    public var stateDamage: StateDamage?
    /// Not about one port: the pool overlapping the ephemeral range.
    public var warnings: [String] = []
    /// The kill box takes `y` only once it has been on screen, with no
    /// input, for a moment (the run loop arms it): a key typed or pasted
    /// ahead can never confirm it.
    public var confirmArmed = false
    public var lastScanSeconds: Double?
    /// A kill in progress: "SIGTERM sent to 4242 python3, SIGKILL in 2 s".
    public var killProgress: String?

    public static let intervals: [Double] = [0.25, 0.5, 1, 2, 5, 10, 30, 60]
    public static let maxEvents = 200

    public init(range: PortRange, statePath: String, interval: Double) {
        self.range = range
        self.statePath = statePath
        self.interval = interval
    }

    public var selectedPort: UInt16 { range.first + UInt16(clamping: selected) }
    public var selectedReport: PortReport? { snapshot?.report(selectedPort) }

    public mutating func select(_ index: Int) {
        selected = min(max(0, index), range.count - 1)
    }

    public mutating func log(_ text: String, at time: Int64, style: Style = .normal) {
        events.append(Event(time: time, text: text, style: style))
        if events.count > DashboardState.maxEvents { events.removeFirst(events.count - DashboardState.maxEvents) }
    }

    /// Takes the state file's health from a scan. Logs the change once each
    /// way, never once per refresh.
    public mutating func apply(stateDamage new: StateDamage?, at time: Int64) {
        switch (stateDamage, new) {
        case (nil, let d?):
            let shown = d.leasesAsOf == nil ? "no leases known" : "showing the last good leases"
            log("state file damaged: \(sanitized(d.problem)); \(shown); reserve and release refused until it is repaired",
                at: time, style: .error)
        case (_?, nil):
            let text = "state file good again: leases are current; reserve and release work again"
            log(text, at: time, style: .ok)
            message = (text, .ok)
        default:
            break
        }
        stateDamage = new
    }

    /// Takes a new scan, logging what changed since the previous one.
    public mutating func apply(_ new: PortSnapshot, scanSeconds: Double? = nil) {
        if let old = snapshot {
            for e in PortEvent.changes(from: old, to: new) { log(e.text, at: new.takenAt, style: Style(e)) }
        } else {
            log(PortEvent.summary(new), at: new.takenAt, style: new.count(.conflict) > 0 ? .conflict : .normal)
        }
        snapshot = new
        lastScanSeconds = scanSeconds
    }
}

extension DashboardState: Equatable {
    public static func == (a: DashboardState, b: DashboardState) -> Bool {
        a.range == b.range && a.snapshot == b.snapshot && a.selected == b.selected && a.scroll == b.scroll
            && a.showDetails == b.showDetails && a.mode == b.mode && a.interval == b.interval && a.events == b.events
            && a.message?.text == b.message?.text && a.message?.style == b.message?.style && a.stateDamage == b.stateDamage && a.confirmArmed == b.confirmArmed
            && a.killProgress == b.killProgress && a.warnings == b.warnings
    }
}

extension Style {
    /// How the event log colours a change.
    init(_ event: PortEvent) {
        switch event.kind {
        case .leased, .reserved: self = .ours
        case .released: self = .normal
        case .freed: self = .free
        case .taken: self = event.state == .conflict ? .conflict : .foreign
        case .conflict: self = .conflict
        }
    }
}
