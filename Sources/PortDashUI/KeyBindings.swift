import PortKit

/// Every key of the normal view in one flat table (htop's `keys['q'] =
/// actionQuit`): dispatch reads it, and the help screen is printed from it,
/// so the two cannot disagree.
public struct Binding: Sendable {
    public let keys: [Key]
    public let help: String
    /// Shown in the footer with this short name when set.
    public let footer: String?
    public let action: @Sendable (inout DashboardState, Layout) -> Reaction
}

public enum KeyBindings {
    public static let table: [Binding] = [
        Binding(keys: [.up, .char("k"), .wheelUp], help: "select the port above", footer: nil) { s, l in
            s.select(s.selected - 1); return .redraw
        },
        Binding(keys: [.down, .char("j"), .wheelDown], help: "select the port below", footer: nil) { s, l in
            s.select(s.selected + 1); return .redraw
        },
        Binding(keys: [.pageUp], help: "up one screen", footer: nil) { s, l in
            s.select(s.selected - max(1, l.listHeight - 1)); return .redraw
        },
        Binding(keys: [.pageDown], help: "down one screen", footer: nil) { s, l in
            s.select(s.selected + max(1, l.listHeight - 1)); return .redraw
        },
        Binding(keys: [.home, .char("g")], help: "first port", footer: nil) { s, _ in s.select(0); return .redraw },
        Binding(keys: [.end, .char("G")], help: "last port", footer: nil) { s, _ in s.select(s.range.count - 1); return .redraw },
        Binding(keys: [.enter], help: "show or hide details of the selected port", footer: "Details") { s, _ in
            s.showDetails.toggle(); return .redraw
        },
        Binding(keys: [.char("r")], help: "reserve the selected port for a service (asks for the name)", footer: "Reserve") { s, _ in
            let port = s.selectedPort
            if let lease = s.selectedReport?.lease, lease.kind == .reservation {
                s.message = ("\(port) is already reserved for \(lease.service)", .error)
                return .redraw
            }
            s.mode = .reservePrompt(port: port, text: s.selectedReport?.lease?.service ?? "")
            return .redraw
        },
        Binding(keys: [.char("d")], help: "release the selected port's lease or reservation", footer: "Release") { s, _ in
            guard s.selectedReport?.lease != nil else {
                s.message = ("\(s.selectedPort) has no lease to release", .error)
                return .redraw
            }
            return Reaction(.redraw, command: .release(port: s.selectedPort))
        },
        Binding(keys: [.char("x"), .function(9)], help: "kill the selected port's processes (asks first)", footer: "Kill") { s, _ in
            guard let report = s.selectedReport else { return .none }
            let owners = report.owners
            if owners.isEmpty {
                let why = report.hiddenUIDs.first.map { report.hiddenKillAdvice(uid: $0) }
                    ?? "\(report.port) is " + (report.sockets.isEmpty ? "free: nothing to kill" : "held by no process (\(report.holderSummary))")
                s.message = (why, .error)
                return .redraw
            }
            s.mode = .confirmKill(port: report.port, targets: owners.map(KillTarget.init))
            return .redraw
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

    /// Handles one key in whatever mode the dashboard is in.
    public static func handle(_ key: Key, _ state: inout DashboardState, layout: Layout) -> Reaction {
        if key == .resize { return Reaction([.redraw]) }
        switch state.mode {
        case .help:
            // Any key closes help (q too, without quitting: it is what people press).
            state.mode = .normal
            return .redraw
        case .reservePrompt(let port, let text):
            return prompt(key, port: port, text: text, &state)
        case .confirmKill(let port, let targets):
            switch key {
            case .char("y"), .char("Y"):
                state.mode = .normal
                return Reaction(.redraw, command: .kill(port: port, targets: targets))
            case .char("n"), .char("N"), .escape, .char("q"):
                state.mode = .normal
                state.message = ("kill cancelled; nothing was signalled", .normal)
                return .redraw
            default:
                return .none
            }
        case .normal:
            if case .click(let row, _) = key {
                guard row >= layout.listTop, row < layout.listTop + layout.listHeight else { return .none }
                let index = state.scroll + row - layout.listTop
                guard index < state.range.count else { return .none }
                state.select(index)
                return .redraw
            }
            if key == .escape { state.message = nil; state.showDetails = false; return .redraw }
            guard let i = index[key] else { return .none }
            return table[i].action(&state, layout)
        }
    }

    static func prompt(_ key: Key, port: UInt16, text: String, _ state: inout DashboardState) -> Reaction {
        switch key {
        case .escape:
            state.mode = .normal
            state.message = ("reserve cancelled", .normal)
            return .redraw
        case .enter:
            let name = text.trimmingSpacesUI()
            if let why = ServiceName.problem(name) {
                state.message = ("service \(why)", .error)
                return .redraw
            }
            state.mode = .normal
            return Reaction(.redraw, command: .reserve(port: port, service: name))
        case .backspace:
            state.mode = .reservePrompt(port: port, text: String(text.dropLast()))
            return .redraw
        case .ctrl("u"):
            state.mode = .reservePrompt(port: port, text: "")
            return .redraw
        case .char(let c):
            guard text.count < 64, !c.isNewline else { return .none }
            state.mode = .reservePrompt(port: port, text: text + String(c))
            return .redraw
        default:
            return .none
        }
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
