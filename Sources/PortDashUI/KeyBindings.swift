import PortKit

/// Every key of the normal view in one flat table (htop's `keys['q'] =
/// actionQuit`): dispatch reads it, and the help screen is printed from it,
/// so the two cannot disagree.
public struct Binding: Sendable {
    public let keys: [Key]
    public let help: String
    /// Shown in the footer with this short name when set.
    public let footer: String?
    /// Changes the state file: counts only as the only key of its read,
    /// never typed ahead behind other input (which is what a paste is, in a
    /// terminal that does not bracket pastes).
    public let deliberate: Bool
    public let action: @Sendable (inout DashboardState, Layout) -> Reaction

    public init(keys: [Key], help: String, footer: String?, deliberate: Bool = false,
                action: @escaping @Sendable (inout DashboardState, Layout) -> Reaction) {
        self.keys = keys
        self.help = help
        self.footer = footer
        self.deliberate = deliberate
        self.action = action
    }
}

public enum KeyBindings {
    public static let table: [Binding] = [
        Binding(keys: [.up, .char("k"), .wheelUp], help: "select the row above", footer: nil) { s, l in
            s.select(s.selected - 1); return .redraw
        },
        Binding(keys: [.down, .char("j"), .wheelDown], help: "select the row below", footer: nil) { s, l in
            s.select(s.selected + 1); return .redraw
        },
        Binding(keys: [.pageUp], help: "up one screen", footer: nil) { s, l in
            s.select(s.selected - max(1, l.listHeight - 1)); return .redraw
        },
        Binding(keys: [.pageDown], help: "down one screen", footer: nil) { s, l in
            s.select(s.selected + max(1, l.listHeight - 1)); return .redraw
        },
        Binding(keys: [.home, .char("g")], help: "first row", footer: nil) { s, _ in s.select(0); return .redraw },
        Binding(keys: [.end, .char("G")], help: "last row", footer: nil) { s, _ in s.select(s.rows.count - 1); return .redraw },
        Binding(keys: [.enter], help: "details of the port", footer: "Details") { s, _ in
            s.showDetails.toggle(); return .redraw
        },
        Binding(keys: [.tab], help: "view: pool / every listener", footer: "View") { s, _ in
            s.view = s.view == .pool ? .listeners : .pool
            s.keepSelectionShown()
            s.message = ("showing \(s.view == .pool ? "the pool \(s.range)" : "every listener on this host")", .normal)
            return Reaction([.redraw, .rescan])
        },
        Binding(keys: [.char("/"), .function(4)], help: "filter rows (any column)", footer: "Filter") { s, _ in
            s.mode = .filterPrompt(text: s.filter)
            return .redraw
        },
        Binding(keys: [.char("f")], help: "hide or show free ports", footer: nil) { s, _ in
            s.hideFree.toggle()
            s.keepSelectionShown()
            s.message = (s.hideFree ? "free ports hidden (f shows them)" : "free ports shown", .normal)
            return .redraw
        },
        Binding(keys: [.char(">"), .function(6)], help: "sort by the next column", footer: nil) { s, _ in
            s.sort = s.sort.next(by: 1)
            s.message = ("sorted by \(s.sort.rawValue)", .normal)
            return .redraw
        },
        Binding(keys: [.char("<")], help: "sort by the previous column", footer: nil) { s, _ in
            s.sort = s.sort.next(by: -1)
            s.message = ("sorted by \(s.sort.rawValue)", .normal)
            return .redraw
        },
        Binding(keys: [.char("r")], help: "reserve it (asks a name)", footer: "Reserve") { s, _ in
            if refusedWhileDamaged("reserve", &s) || refusedOutsidePool("reserve", &s) { return .redraw }
            let port = s.selectedPort
            if let lease = s.selectedReport?.lease, lease.kind == .reservation {
                s.message = ("\(port) is already reserved for \(lease.label)", .error)
                return .redraw
            }
            s.mode = .reservePrompt(port: port, text: s.selectedReport?.lease?.service ?? "")
            return .redraw
        },
        Binding(keys: [.char("d")], help: "release it (asks if held)", footer: "Release",
                deliberate: true) { s, _ in
            if refusedWhileDamaged("release", &s) || refusedOutsidePool("release", &s) { return .redraw }
            guard let report = s.selectedReport, let lease = report.lease else {
                s.message = ("\(s.selectedPort) has no lease to release", .error)
                return .redraw
            }
            // up starts the service on it again, and env reads it: the lease is up's to end.
            if report.runningUp != nil, let project = lease.project {
                let e = PortKitError.heldByRunningUp(port: report.port, label: lease.label, service: lease.service, root: project.root)
                s.message = (e.description, .error)
                return .redraw
            }
            // A process holding it runs on without its lease: asked first, default no.
            if let holder = releaseHolder(report) {
                s.mode = .confirmRelease(port: report.port, label: lease.label, holder: holder)
                return Reaction([.redraw, .dropTypeAhead])
            }
            return Reaction(.redraw, command: .release(port: s.selectedPort))
        },
        Binding(keys: [.char("x"), .function(9)], help: "kill it (asks first)", footer: "Kill") { s, _ in
            guard let report = s.selectedReport else { return .none }
            let owners = report.owners
            if owners.isEmpty {
                let why = report.hiddenUIDs.first.map { report.hiddenKillAdvice(uid: $0) }
                    ?? "\(report.port) is " + (report.sockets.isEmpty ? "free: nothing to kill" : "held by no process (\(report.holderSummary))")
                s.message = (why, .error)
                return .redraw
            }
            s.mode = .confirmKill(port: report.port, targets: owners.map(KillTarget.init), signal: .term)
            s.confirmArmed = false
            return Reaction([.redraw, .dropTypeAhead])
        },
        Binding(keys: [.char("R")], help: "restart its up's service", footer: nil, deliberate: true) { s, _ in
            guard let lease = s.selectedReport?.lease, let project = lease.project, s.selectedReport?.runningUp != nil else {
                s.message = ("\(s.selectedPort) is not a service of a running portdash up: nothing to restart", .error)
                return .redraw
            }
            return Reaction(.redraw, command: .restart(root: project.root, service: lease.service))
        },
        Binding(keys: [.char("o")], help: "open its URL (xdg-open)", footer: nil) { s, _ in
            guard let url = s.selectedURL else {
                s.message = ("\(s.selectedPort) has no lease, so no name: reserve it (r) to give it one", .error)
                return .redraw
            }
            return Reaction(.redraw, command: .open(url: url))
        },
        Binding(keys: [.char("+"), .char("=")], help: "scan less often", footer: nil) { s, _ in
            if let next = DashboardState.intervals.first(where: { $0 > s.interval }) { s.interval = next }
            s.message = ("refresh every \(formatInterval(s.interval))", .normal)
            return Reaction([.redraw, .reschedule])
        },
        Binding(keys: [.char("-"), .char("_")], help: "scan more often", footer: nil) { s, _ in
            if let next = DashboardState.intervals.last(where: { $0 < s.interval }) { s.interval = next }
            s.message = ("refresh every \(formatInterval(s.interval))", .normal)
            return Reaction([.redraw, .reschedule])
        },
        Binding(keys: [.char(" ")], help: "scan now", footer: nil) { _, _ in Reaction([.rescan]) },
        Binding(keys: [.ctrl("l")], help: "redraw the screen", footer: nil) { _, _ in Reaction([.repaint, .redraw]) },
        Binding(keys: [.char("?"), .char("h"), .function(1)], help: "this help", footer: "Help") { s, _ in
            s.mode = .help; return .redraw
        },
        Binding(keys: [.char("q"), .function(10)], help: "quit", footer: "Quit") { _, _ in Reaction(.quit) },
    ]

    static let index: [Key: Int] = {
        var d: [Key: Int] = [:]
        for (i, b) in table.enumerated() { for k in b.keys { d[k] = i } }
        return d
    }()

    /// Handles one key in whatever mode the dashboard is in. `typedAhead`:
    /// the key came in the same read as an earlier one, faster than a person
    /// types (a paste where the terminal does not bracket pastes, or keys
    /// pressed ahead); such a key never confirms anything.
    public static func handle(_ key: Key, _ state: inout DashboardState, layout: Layout, typedAhead: Bool = false) -> Reaction {
        if key == .resize { return Reaction([.redraw]) }
        if case .paste(let text) = key { return pasted(text, &state) }
        switch state.mode {
        case .help:
            // Any key closes help (q too, without quitting: it is what people press).
            state.mode = .normal
            return .redraw
        case .reservePrompt(let port, let text):
            return prompt(key, port: port, text: text, typedAhead: typedAhead, &state)
        case .confirmKill(let port, let targets, let signal):
            return confirmKill(key, port: port, targets: targets, signal: signal, typedAhead: typedAhead, &state)
        case .filterPrompt(let text):
            return filterPrompt(key, text: text, &state)
        case .confirmRelease(let port, let label, _):
            return confirmRelease(key, port: port, label: label, typedAhead: typedAhead, &state)
        case .normal:
            if case .click(let row, _) = key {
                guard row >= layout.listTop, row < layout.listTop + layout.listHeight else { return .none }
                let index = state.scroll + row - layout.listTop
                guard index < state.rows.count else { return .none }
                state.select(index)
                return .redraw
            }
            if key == .escape { state.message = nil; state.showDetails = false; return .redraw }
            guard let i = index[key] else { return unbound(key, &state) }
            if typedAhead && table[i].deliberate {
                state.message = ("\(key.label) ignored: it came in one burst with other input (a paste?); press it again", .error)
                return .redraw
            }
            return table[i].action(&state, layout)
        }
    }

    /// The one place a paste is handled: text for the open prompt, whole or
    /// not at all; with no prompt open, nothing (not keys, not a confirmation).
    static func pasted(_ text: String, _ state: inout DashboardState) -> Reaction {
        if case .filterPrompt(let before) = state.mode {
            // One line of text: a pasted newline is not Enter here either.
            state.mode = .filterPrompt(text: String((before + text).filter { !$0.isNewline }.prefix(200)))
            state.keepSelectionShown()
            return .redraw
        }
        guard case .reservePrompt(let port, let before) = state.mode else {
            state.message = ("paste ignored: no prompt open", .error)
            return .redraw
        }
        let after = before + text
        guard after.utf8.count <= nameLimit else {
            // A paste over BracketedPaste's cap arrives cut at the cap: say "at least".
            let size = after.utf8.count >= BracketedPaste.limit ? "at least \(after.utf8.count)" : "\(after.utf8.count)"
            state.message = ("paste refused: the name would be \(size) bytes; the limit is \(nameLimit)", .error)
            return .redraw
        }
        state.mode = .reservePrompt(port: port, text: after)
        return .redraw
    }

    /// ServiceName's limit. The prompt refuses what would pass it, with a
    /// message, rather than cutting the name.
    static let nameLimit = 64

    /// y kills only once the box is armed (on screen for a moment with no
    /// input) and only as the only key of its read: never typed ahead.
    static func confirmKill(_ key: Key, port: UInt16, targets: [KillTarget], signal: KillSignal, typedAhead: Bool,
                            _ state: inout DashboardState) -> Reaction {
        switch key {
        case .char("y"), .char("Y"):
            guard state.confirmArmed, !typedAhead else {
                state.message = ("y ignored: it came before the box was ready, or with other keys; press y again to kill", .error)
                return .redraw
            }
            state.mode = .normal
            state.confirmArmed = false
            return Reaction(.redraw, command: .kill(port: port, targets: targets, signal: signal))
        case .left, .right, .up, .down, .char("1"), .char("2"), .char("3"), .char("4"), .char("5"):
            // Choosing the signal never confirms; the box stays as armed as it was.
            state.mode = .confirmKill(port: port, targets: targets, signal: chosenSignal(key, from: signal))
            return .redraw
        case .char("n"), .char("N"), .escape, .char("q"):
            state.mode = .normal
            state.confirmArmed = false
            state.message = ("kill cancelled; nothing was signalled", .normal)
            return .redraw
        default:
            return .none
        }
    }

    /// Who runs on the port if its lease is released: the processes holding
    /// it, else the lease's live owner; nil when nothing does (no question asked).
    static func releaseHolder(_ r: PortReport) -> String? {
        if !r.owners.isEmpty || !r.hiddenUIDs.isEmpty { return r.holderSummary }
        if r.leaseStatus == .active, let o = r.lease?.owner { return o.group.map { "its cgroup \($0)" } ?? "pid \(o.pid)" }
        return nil
    }

    /// y releases (only as the only key of its read); any other key is no.
    static func confirmRelease(_ key: Key, port: UInt16, label: String, typedAhead: Bool, _ state: inout DashboardState) -> Reaction {
        state.mode = .normal
        if key == .char("y") || key == .char("Y") {
            guard !typedAhead else {
                state.message = ("y ignored: it came with other keys (a paste?); nothing was released — press d again", .error)
                return .redraw
            }
            return Reaction(.redraw, command: .release(port: port))
        }
        state.message = ("release cancelled; \(sanitized(label)) keeps \(port)", .normal)
        return .redraw
    }

    /// ←/→ (or ↑/↓) move through the list; 1-5 pick directly.
    static func chosenSignal(_ key: Key, from signal: KillSignal) -> KillSignal {
        let all = KillSignal.allCases
        let i = all.firstIndex(of: signal) ?? 0
        switch key {
        case .left, .up: return all[(i + all.count - 1) % all.count]
        case .right, .down: return all[(i + 1) % all.count]
        case .char(let c): return c.wholeNumberValue.flatMap { $0 >= 1 && $0 <= all.count ? all[$0 - 1] : nil } ?? signal
        default: return signal
        }
    }

    /// The filter prompt: every key edits the text (none acts as a command);
    /// Enter keeps it, Esc clears it.
    static func filterPrompt(_ key: Key, text: String, _ state: inout DashboardState) -> Reaction {
        switch key {
        case .escape:
            state.filter = ""
            state.mode = .normal
            state.message = ("filter cleared", .normal)
        case .enter:
            state.filter = text
            state.mode = .normal
            state.message = text.isEmpty ? ("filter cleared", .normal) : ("filter kept: \"\(text)\" (/ edits, Esc in it clears)", .normal)
        case .backspace:
            state.mode = .filterPrompt(text: String(text.dropLast()))
        case .ctrl("u"):
            state.mode = .filterPrompt(text: "")
        case .char(let c) where !c.isNewline && text.count < 200:
            state.mode = .filterPrompt(text: text + String(c))
        default:
            return .none
        }
        state.keepSelectionShown()
        return .redraw
    }

    /// A key nothing is bound to says so and does nothing else.
    static func unbound(_ key: Key, _ state: inout DashboardState) -> Reaction {
        switch key {
        case .left, .right, .wheelUp, .wheelDown, .click: return .none
        default:
            state.message = ("\(sanitized(key.label)): no such key here — ? for help", .error)
            return .redraw
        }
    }

    /// Reserve and release work on the pool's ports only.
    static func refusedOutsidePool(_ verb: String, _ state: inout DashboardState) -> Bool {
        guard !state.range.contains(state.selectedPort) else { return false }
        state.message = ("\(verb) works on the pool's ports (\(state.range)); \(state.selectedPort) is outside it", .error)
        return true
    }

    /// Reserve and release change the state file: while it is damaged they
    /// would work from stale leases, so they are refused with the fix.
    static func refusedWhileDamaged(_ verb: String, _ state: inout DashboardState) -> Bool {
        guard state.stateDamage != nil else { return false }
        state.message = ("\(verb) refused: the state file is damaged; run portdash repair", .error)
        return true
    }

    static func prompt(_ key: Key, port: UInt16, text: String, typedAhead: Bool, _ state: inout DashboardState) -> Reaction {
        switch key {
        case .escape:
            state.mode = .normal
            state.message = ("reserve cancelled", .normal)
            return .redraw
        case .enter:
            return submit(port: port, text: text, typedAhead: typedAhead, &state)
        case .backspace:
            state.mode = .reservePrompt(port: port, text: String(text.dropLast()))
            return .redraw
        case .ctrl("u"):
            state.mode = .reservePrompt(port: port, text: "")
            return .redraw
        case .char(let c):
            guard !c.isNewline else { return .none }
            guard text.utf8.count + c.utf8.count <= nameLimit else {
                state.message = ("service names are at most \(nameLimit) bytes; \"\(sanitized(String(c)))\" not added", .error)
                return .redraw
            }
            state.mode = .reservePrompt(port: port, text: text + String(c))
            return .redraw
        default:
            return .none
        }
    }

    /// Enter in the prompt. Typed ahead (it came with the text before it,
    /// as an unbracketed paste does) it is refused; accepted, it drops the
    /// rest of its burst, so nothing pasted after a newline acts as keys.
    static func submit(port: UInt16, text: String, typedAhead: Bool, _ state: inout DashboardState) -> Reaction {
        if typedAhead {
            state.message = ("Enter ignored: it came in one burst with other input (a paste?); press Enter again", .error)
            return .redraw
        }
        if refusedWhileDamaged("reserve", &state) { return .redraw }
        let name = text.trimmingSpacesUI()
        if let why = ServiceName.problem(name) {
            state.message = ("service \(why)", .error)
            return .redraw
        }
        state.mode = .normal
        return Reaction([.redraw, .dropTypeAhead], command: .reserve(port: port, service: name))
    }

    /// "↑ k", "x F9": how a binding's keys are listed in help.
    public static func label(_ b: Binding) -> String { b.keys.map(\.label).joined(separator: " ") }
}

func formatInterval(_ s: Double) -> String {
    s < 1 ? "\(Int(s * 1000)) ms" : (s == s.rounded() ? "\(Int(s)) s" : "\(s) s")
}

extension String {
    func trimmingSpacesUI() -> String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}

extension DashboardState.SortKey {
    func next(by step: Int) -> Self {
        let all = Self.allCases
        let i = all.firstIndex(of: self)!
        return all[(i + step + all.count) % all.count]
    }
}
