import PortKit

/// Everything the dashboard shows, as plain data: key handling changes it,
/// the renderer draws it, tests inspect it.
public struct DashboardState: Sendable {
    public enum Mode: Sendable, Equatable {
        case normal
        case help
        /// Typing a service name to reserve `port`.
        case reservePrompt(port: UInt16, text: String)
        /// Typing the filter (every key goes into the text; none acts).
        case filterPrompt(text: String)
        /// Waiting for y/n before signalling these processes with `signal`.
        case confirmKill(port: UInt16, targets: [KillTarget], signal: KillSignal)
        /// Waiting for y (anything else: no) before releasing a lease a running process holds.
        case confirmRelease(port: UInt16, label: String, holder: String)
    }

    /// What the list shows: the pool, or every listener on the host.
    public enum View: String, Sendable, CaseIterable {
        case pool
        case listeners = "every listener"
    }

    /// The list's order (htop's F6 / `<` `>`).
    public enum SortKey: String, Sendable, CaseIterable {
        case port, state, process, user, pid
    }

    public struct Event: Sendable, Equatable {
        public let time: Int64
        public let text: String
        public let style: Style
        public init(time: Int64, text: String, style: Style = .normal) { self.time = time; self.text = text; self.style = style }
    }

    public let range: PortRange
    public let statePath: String
    public var view: View = .pool
    /// The last scan of each view.
    public var snapshots: [View: PortSnapshot] = [:]
    /// The selected port; the selection stays on it while rows come and go.
    public var selectedPort: UInt16
    /// First row shown (scrolling when the list is taller than the screen);
    /// set by the run loop from the layout.
    public var scroll = 0
    public var showDetails = false
    public var mode: Mode = .normal
    /// Rows whose text contains this (case-insensitive); "" shows all.
    public var filter = ""
    public var hideFree = false
    public var sort: SortKey = .port
    public var interval: Double
    public var events: [Event] = []
    /// A one-line message in the header (what the last action did), with its style.
    public var message: StatusMessage?
    /// The state file could not be read: the last good leases are shown,
    /// marked stale, and reserve/release are refused until it is good again.
    public var stateDamage: StateDamage?
    /// Not about one port: the pool overlapping the ephemeral range.
    public var warnings: [String] = []
    /// The router URLs go through (RouterAddress.current, read by each scan off
    /// the main thread); nil: none runs, and URLs go straight to the port.
    public var router: RouterAddress? {
        didSet { if router != oldValue { for v in snapshots.keys { buildURLs(v) } } }
    }
    /// The kill box takes `y` only once it has been on screen, with no
    /// input, for a moment (the run loop arms it): a key typed or pasted
    /// ahead can never confirm it.
    public var confirmArmed = false
    public var lastScanSeconds: Double?
    /// Each view's leased ports' URLs (through `router`), built once per
    /// scan (the renderer only looks them up, frame after frame).
    var urls: [View: [UInt16: String]] = [:]
    /// A kill in progress: "SIGTERM sent to 4242 python3, SIGKILL in 2 s".
    public var killProgress: String?

    public static let intervals: [Double] = [0.25, 0.5, 1, 2, 5, 10, 30, 60]
    public static let maxEvents = 200

    public init(range: PortRange, statePath: String, interval: Double) {
        self.range = range
        self.statePath = statePath
        self.interval = interval
        selectedPort = range.first
    }

    /// The current view's last scan.
    public var snapshot: PortSnapshot? { snapshots[view] }

    /// What the current view scans.
    public var scope: ScanScope {
        view == .pool ? .pool(range) : .listeners(within: nil, uid: nil, namespaces: true)
    }

    /// The filter being typed, else the one kept.
    public var activeFilter: String {
        if case .filterPrompt(let text) = mode { return text }
        return filter
    }

    /// The list as shown: the view's ports, filtered, free ones hidden on
    /// request, sorted.
    public var rows: [PortReport] {
        let needle = activeFilter.lowercased()
        let shown = (snapshot?.ports ?? []).filter { r in
            (!hideFree || r.state != .free) && (needle.isEmpty || DashboardState.searchText(r).contains(needle))
        }
        return sort == .port ? shown : shown.sorted { DashboardState.sortKey($0, sort) < DashboardState.sortKey($1, sort) }
    }

    /// What the filter looks in: port, state, service, pids, process, user, command lines.
    static func searchText(_ r: PortReport) -> String {
        (PortRow(r).cells + r.owners.map { "\($0.pid) \($0.commandText)" }).joined(separator: " ").lowercased()
    }

    static func sortKey(_ r: PortReport, _ key: SortKey) -> String {
        let owner = r.owners.first
        let text: String
        switch key {
        case .port: text = ""
        case .state: text = r.state.rawValue
        case .process: text = owner?.name.lowercased() ?? "~"
        case .user: text = owner?.user ?? "~"
        case .pid: text = owner.map { String(repeating: "0", count: 10 - String($0.pid).count) + String($0.pid) } ?? "~"
        }
        // Ties keep port order.
        return text + String(repeating: "0", count: 5 - String(r.port).count) + String(r.port)
    }

    /// The selected row's index in `rows` (0 when its port is not shown).
    public var selected: Int { rows.firstIndex { $0.port == selectedPort } ?? 0 }
    public var selectedReport: PortReport? { snapshot?.report(selectedPort) }

    /// The selected port's URL, if it is leased: its name through the running router, else direct.
    public var selectedURL: String? { url(of: selectedPort) }

    /// A port's URL, if it is leased (RouteNames.url(of:via:)).
    public func url(of port: UInt16) -> String? { urls[view]?[port] }

    /// Selects the row at `index` (clamped).
    public mutating func select(_ index: Int) {
        let r = rows
        guard !r.isEmpty else { return }
        selectedPort = r[min(max(0, index), r.count - 1)].port
    }

    /// After the rows changed (a scan, a filter, a view), keep the selection
    /// on a shown row.
    mutating func keepSelectionShown() {
        let r = rows
        if !r.isEmpty && !r.contains(where: { $0.port == selectedPort }) { selectedPort = r[0].port }
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
            log("state file \(d.condition): \(sanitized(d.problem)); \(shown); reserve and release refused until it is readable",
                at: time, style: .error)
        case (_?, nil):
            let text = "state file good again: leases are current; reserve and release work again"
            log(text, at: time, style: .ok)
            message = .init(text, .ok)
        default:
            break
        }
        stateDamage = new
    }

    /// Takes a new scan of `view`, logging what changed since its previous one.
    public mutating func apply(_ new: PortSnapshot, scanSeconds: Double? = nil, view: View? = nil) {
        let v = view ?? self.view
        if let old = snapshots[v] {
            for e in PortEvent.changes(from: old, to: new) { log(e.text, at: new.takenAt, style: Style(e)) }
        } else {
            log((v == .pool ? "" : "every listener, ") + PortEvent.summary(new), at: new.takenAt,
                style: new.count(.conflict) > 0 ? .conflict : .normal)
        }
        snapshots[v] = new
        buildURLs(v)
        lastScanSeconds = scanSeconds
        keepSelectionShown()
    }
}

extension DashboardState {
    /// `view`'s URLs from its last scan and `router`: once per scan or
    /// router change, never per frame.
    mutating func buildURLs(_ view: View) {
        guard let scan = snapshots[view] else { return }
        let names = RouteNames(leases: scan.ports.compactMap(\.lease))
        urls[view] = Dictionary(scan.ports.compactMap { r in r.lease.map { (r.port, names.url(of: $0, via: router)) } },
                                uniquingKeysWith: { a, _ in a })
    }
}

extension DashboardState: Equatable {}

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

extension Style {
    /// The colour of a port's state word.
    init(_ state: PortState) {
        switch state {
        case .free: self = .free
        case .ours: self = .ours
        case .foreign: self = .foreign
        case .conflict: self = .conflict
        }
    }
}
