/// The human output of `portdash status`: one aligned row per port.
public struct StatusTable {
    public struct Style: Sendable {
        public var color: Bool
        public init(color: Bool) { self.color = color }
    }

    public let snapshot: PortSnapshot
    public let style: Style
    /// Cut every line to this many cells (the terminal width); nil: no cut.
    public let width: Int?

    public init(snapshot: PortSnapshot, style: Style, width: Int?) {
        self.snapshot = snapshot; self.style = style; self.width = width
    }

    static let header = ["PORT", "STATE", "SERVICE", "PID", "USER", "PROCESS", "ADDRESS", "COMMAND"]

    /// The cells of one port's row, before padding.
    public static func cells(_ p: PortReport) -> [String] {
        let owners = p.owners
        var pids = owners.prefix(2).map { String($0.pid) }.joined(separator: ",")
        if owners.count > 2 { pids += "+\(owners.count - 2)" }
        var user = owners.first?.user ?? ""
        var process = owners.first?.name ?? ""
        var command = owners.first?.shortCommandText ?? ""
        if owners.isEmpty, let uid = p.hiddenUIDs.first {
            user = p.sockets.first { $0.socket.uid == uid && !$0.user.isEmpty }?.user ?? String(uid)
            pids = "hidden"
            command = p.hiddenHolderText(uid: uid)
        } else if owners.isEmpty, let s = p.sockets.first {
            process = ""
            command = s.socket.state == .listen ? "" : "\(s.socket.state.name), no process holds it"
        } else if owners.isEmpty && p.probe.isInUse {
            command = "bind: address in use, no socket visible"
        }
        let listeners = p.listeners
        var addresses: [String] = []
        for s in (listeners.isEmpty ? p.sockets : listeners) {
            var a = s.socket.local.family == .ipv6 ? "[\(s.socket.local.addressText)]" : s.socket.local.addressText
            if let ns = s.socket.netns { a += " (netns \(ns.name ?? String(ns.inode)))" }
            if !addresses.contains(a) { addresses.append(a) }
        }
        var address = addresses.prefix(2).joined(separator: ",")
        if addresses.count > 2 { address += "+\(addresses.count - 2)" }
        let conns = p.connectionCount
        if conns > 0 && !listeners.isEmpty { command = "(\(conns) conn) " + command }
        // Every cell through the one sanitizer: names, users and commands come from outside.
        return [String(p.port), p.state.rawValue, p.lease?.service ?? "", pids, user, process, address, command].map(sanitized)
    }

    public func render() -> String {
        let rows = snapshot.ports.map(StatusTable.cells)
        // Column widths from the content, with caps so the command keeps room.
        let caps = [5, 8, 14, 13, 10, 15, 40, Int.max]
        var widths = StatusTable.header.map(displayWidth)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = min(caps[i], max(widths[i], displayWidth(c))) } }
        var out = ""
        out += line(StatusTable.header, widths, colour: nil, bold: true)
        for (p, r) in zip(snapshot.ports, rows) { out += line(r, widths, colour: p.state, bold: false) }
        return out
    }

    private func line(_ cells: [String], _ widths: [Int], colour: PortState?, bold: Bool) -> String {
        var text = ""
        for (i, c) in cells.enumerated() {
            if i == cells.count - 1 { text += c } else { text += pad(c, to: widths[i]) + "  " }
        }
        while text.hasSuffix(" ") { text.removeLast() }
        if let width { text = truncate(text, to: width) }
        guard style.color else { return text + "\n" }
        if bold { return "\u{1B}[1m" + text + "\u{1B}[0m\n" }
        // Colour only the STATE cell, so the rest stays easy to read.
        // Colour only the STATE cell (ASCII, right after the port column).
        let start = widths[0] + 2
        guard let colour, text.count >= start + colour.rawValue.count else { return text + "\n" }
        let code: String
        switch colour {
        case .free: code = "32"
        case .ours: code = "36"
        case .foreign: code = "33"
        case .conflict: code = "1;31"
        }
        let a = text.index(text.startIndex, offsetBy: start)
        let b = text.index(a, offsetBy: colour.rawValue.count)
        return String(text[..<a]) + "\u{1B}[\(code)m" + String(text[a..<b]) + "\u{1B}[0m" + String(text[b...]) + "\n"
    }
}
