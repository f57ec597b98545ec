import PortKit
import Glibc

/// Where things go on the screen, planned from the state before anything is
/// drawn: key handling needs the list's position for mouse clicks and its
/// height for PgUp/PgDn, and the run loop keeps `scroll` for the next frame.
public struct Layout: Sendable, Equatable {
    public var listTop = 3
    public var listHeight = 1
    public var detailRows = 0
    public var eventRows = 0
    /// The first row shown, so that the selection is visible.
    public var scroll = 0
    public init(listTop: Int = 3, listHeight: Int = 1, detailRows: Int = 0, eventRows: Int = 0, scroll: Int = 0) {
        self.listTop = listTop; self.listHeight = listHeight; self.detailRows = detailRows
        self.eventRows = eventRows; self.scroll = scroll
    }
}

/// Draws a DashboardState into a TextGrid. Pure: the clock texts come in as
/// functions so golden files do not depend on the time zone or boot time.
public struct Renderer: Sendable {
    public var clockText: @Sendable (Int64) -> String
    public var startText: @Sendable (UInt64) -> String

    public init(clockText: @escaping @Sendable (Int64) -> String = localClockText,
                startText: @escaping @Sendable (UInt64) -> String = processStartText) {
        self.clockText = clockText
        self.startText = startText
    }

    public static let minWidth = 40
    public static let minHeight = 8

    /// The plan for one frame: rows for the list, the details and the
    /// events, and the scroll that keeps the selection visible. Pure.
    public func layout(_ state: DashboardState, width: Int, height: Int) -> Layout {
        guard width >= Renderer.minWidth, height >= Renderer.minHeight, state.mode != .help else {
            return Layout(listTop: height, listHeight: 0)
        }
        let rows = state.rows.count
        let rest = height - 5  // header x2, column headings, status line, footer
        let listRows = min(max(rows, 1), max(1, rest - (rest >= 10 ? 2 : 0)))
        var detailRows = 0
        if state.showDetails {
            let want = detailLines(state, width: width).count + 1
            detailRows = min(want, max(0, rest - min(listRows, 3) - 1))
        }
        let listHeight = max(1, min(listRows, rest - detailRows - (rest - detailRows > 6 ? 2 : 0)))
        let selected = state.selected
        var scroll = state.scroll
        if selected < scroll { scroll = selected }
        if selected >= scroll + listHeight { scroll = selected - listHeight + 1 }
        scroll = max(0, min(scroll, rows - listHeight))
        return Layout(listTop: 3, listHeight: listHeight, detailRows: detailRows,
                      eventRows: max(0, rest - listHeight - detailRows), scroll: scroll)
    }

    /// Draws one frame. Pure: the state is not changed (the run loop keeps
    /// the layout's scroll for the next frame).
    public func render(_ state: DashboardState, width: Int, height: Int) -> (grid: TextGrid, layout: Layout, cursor: (row: Int, col: Int)?) {
        var g = TextGrid(width: width, height: height)
        if width < Renderer.minWidth || height < Renderer.minHeight {
            let msg = "terminal too small: \(width)x\(height)"
            g.put(0, 0, msg, .error)
            g.put(min(1, height - 1), 0, "need \(Renderer.minWidth)x\(Renderer.minHeight); q quits", .normal)
            return (g, Layout(listTop: height, listHeight: 0), nil)
        }
        if state.mode == .help {
            drawHelp(&g)
            return (g, Layout(), nil)
        }
        let layout = layout(state, width: width, height: height)
        var s = state
        s.scroll = layout.scroll
        drawHeader(&g, s)
        drawList(&g, s, top: 3, rows: layout.listHeight)
        var y = 3 + layout.listHeight
        if layout.detailRows > 0 { drawDetails(&g, s, top: y, rows: layout.detailRows); y += layout.detailRows }
        if layout.eventRows > 0 { drawEvents(&g, s, top: y, rows: layout.eventRows) }
        let cursor = drawStatusLine(&g, s, row: height - 2)
        drawFooter(&g, s, row: height - 1)
        if case .confirmKill(let port, let targets, let signal) = s.mode {
            drawKillBox(&g, port: port, targets: targets, signal: signal, armed: s.confirmArmed)
        }
        return (g, layout, cursor)
    }

    // MARK: parts

    func drawHeader(_ g: inout TextGrid, _ s: DashboardState) {
        var x = g.put(0, 0, "portdash", .title)
        x = g.put(0, x, s.view == .pool ? "  pool \(s.range)  " : "  every listener  ")
        let counts: [(PortState, Style)] = [(.free, .free), (.ours, .ours), (.foreign, .foreign), (.conflict, .conflict)]
        for (state, style) in counts {
            let n = s.snapshot?.count(state) ?? 0
            x = g.put(0, x, "\(n) \(state.rawValue)", n > 0 || state == .free ? style : .dim)
            x = g.put(0, x, "  ")
        }
        var extras: [String] = []
        if !s.activeFilter.isEmpty { extras.append("filter \"\(s.activeFilter)\"") }
        if s.hideFree { extras.append("free hidden") }
        if s.sort != .port { extras.append("by \(s.sort.rawValue)") }
        if !extras.isEmpty { x = g.put(0, x, extras.joined(separator: "  ") + "  ", .title, maxWidth: max(0, g.width - x - 12)) }
        let every = "every \(formatInterval(s.interval))"
        if x + every.displayWidth + 1 <= g.width { g.put(0, g.width - every.displayWidth, every, .dim) }
        var scanned = "scanning…"
        if let snap = s.snapshot {
            scanned = "scanned \(clockText(snap.takenAt))"
            if let t = s.lastScanSeconds { scanned += " (\(t < 0.01 ? String(format1: t * 1000) : String(Int(t * 1000))) ms)" }
        }
        let rightWidth = scanned.displayWidth
        let room = g.width - rightWidth - 2
        let y1 = s.stateDamage.map { drawDamage(&g, $0, room: room) }
            ?? (s.view == .pool ? s.warnings.first.map { g.put(1, 0, "warning: " + $0, .error, maxWidth: max(0, room)) } : nil)
            ?? drawStatePath(&g, s, rightWidth: rightWidth)
        if y1 + rightWidth + 1 <= g.width { g.put(1, g.width - rightWidth, scanned, .dim) }
    }

    /// Header line 2: the state file's path, and how many processes could not be read.
    func drawStatePath(_ g: inout TextGrid, _ s: DashboardState, rightWidth: Int) -> Int {
        var y1 = g.put(1, 0, "state ", .dim)
        // A long path is cut from the left: its end names the file.
        let room = max(10, g.width - y1 - rightWidth - 2)
        var path = s.statePath
        if path.displayWidth > room { path = "…" + String(path.suffix(room - 1)) }
        y1 = g.put(1, y1, path)
        if let n = s.snapshot?.unreadablePids, n > 0 {
            y1 = g.put(1, y1, "  \(n) processes unreadable (not root)", .dim, maxWidth: max(0, g.width - y1 - rightWidth - 2))
        }
        return y1
    }

    /// Header line 2 while the state file is damaged: the leases shown are
    /// stale, and how to fix it, in place of the path (the event log has
    /// the path and the exact problem).
    func drawDamage(_ g: inout TextGrid, _ d: StateDamage, room: Int) -> Int {
        let shown = d.leasesAsOf.map { "showing leases as of \(clockText($0))" } ?? "no leases shown (never read)"
        return g.put(1, 0, "state file \(d.condition) since \(clockText(d.since)): \(shown); \(d.fix)", .error, maxWidth: max(0, room))
    }

    /// The column headings and the rows, columns sized to their content
    /// (PortRow's table, as `status` prints it).
    func drawList(_ g: inout TextGrid, _ s: DashboardState, top: Int, rows: Int) {
        let all = s.rows
        let cells = all.map { Renderer.cells($0, url: s.url(of: $0.port)) }
        let placed = Renderer.table.layout(cells, width: g.width)
        g.fill(top - 1, .heading)
        for p in placed { g.put(top - 1, p.x, Renderer.columns[p.index].title, .heading, maxWidth: p.width) }
        if all.isEmpty {
            let why = s.snapshot == nil ? "scanning…" : s.activeFilter.isEmpty ? "no ports to show" : "no port matches the filter"
            g.put(top, 1, why, .dim)
            return
        }
        for i in 0..<rows {
            let index = s.scroll + i
            guard index < all.count else { break }
            let selected = all[index].port == s.selectedPort
            for p in placed {
                let style: Style = selected ? .selected : p.index == PortRow.Column.state.rawValue ? Style(all[index].state) : .normal
                g.put(top + i, p.x, cells[index][p.index].truncated(to: p.width), style, maxWidth: p.width)
            }
            if selected { g.paint(top + i, from: 0, to: nil, .selected) }
        }
    }

    /// PortRow's columns with one space between (the dashboard is narrower
    /// than a pipe), and the lease's URL before COMMAND when the terminal is
    /// wide enough (dropped first).
    static let columns = Array(PortRow.table.columns.dropLast()) + [TextTable.Column("URL", cap: 44, dropOrder: 7), PortRow.table.columns.last!]
    static let table = TextTable(columns, gap: 1, lastColumnMinimum: 20)

    /// A row's cells in `columns` order.
    static func cells(_ r: PortReport, url: String?) -> [String] {
        var c = PortRow(r).cells
        c.insert(url ?? "", at: c.count - 1)
        return c
    }

    func drawDetails(_ g: inout TextGrid, _ s: DashboardState, top: Int, rows: Int) {
        g.fill(top, .heading)
        g.put(top, 0, " \(s.selectedPort) details ", .heading)
        for (i, l) in detailLines(s, width: g.width).prefix(rows - 1).enumerated() { g.put(top + 1 + i, 1, l.0, l.1) }
    }

    /// Long lines wrapped at the pane's width, continuation lines indented.
    static func wrap(_ lines: [(String, Style)], width: Int) -> [(String, Style)] {
        let w = max(10, width - 2)
        var out: [(String, Style)] = []
        for (text, style) in lines {
            var rest = Substring(text)
            var first = true
            while !rest.isEmpty {
                let room = first ? w : w - 4
                var cut = rest.prefix(room)
                if cut.count < rest.count, let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) > room / 2 {
                    cut = cut[..<space]
                }
                out.append(((first ? "" : "    ") + cut, style))
                rest = rest[cut.endIndex...].drop { $0 == " " }
                first = false
            }
        }
        return out
    }

    /// The details pane's lines for the selected port.
    func detailLines(_ s: DashboardState, width: Int) -> [(String, Style)] {
        var lines: [(String, Style)] = []
        guard let r = s.selectedReport else { return [("not scanned yet", .dim)] }
        let conns = r.connectionCount
        lines.append(("state \(r.state.rawValue)   bind probe: IPv4 \(r.probe.ipv4), IPv6 \(r.probe.ipv6)   \(conns) connection\(conns == 1 ? "" : "s")",
                      .normal))
        if let l = r.lease {
            var t = "lease: \(l.label) (\(l.kind.rawValue), \(r.leaseStatus?.rawValue ?? "?"))"
            if let o = l.owner { t += o.group.map { ", held by its cgroup \($0)" } ?? ", bound to pid \(o.pid)" }
            if r.leftByKilledSupervisor {
                t += "; " + l.leftBehindText + (l.project == nil ? ": the lease ends when they do" : ": the next up in its checkout stops it")
            }
            if let e = l.expires { t += ", expires \(clockText(e))" } else if l.kind == .reservation { t += ", never expires" }
            lines.append((t, .ours))
            if let b = l.binds {
                lines.append(("binds \(b): its program binds \(b) itself; that bind, and its checkout's connections to 127.0.0.1:\(b), land on \(r.port)", .ours))
            }
            if let url = s.selectedURL {
                let how = s.router == nil ? "straight to the port: no portdash serve runs" : "portdash serve routes it"
                lines.append(("url: \(url)   (o opens it; \(how))", .ours))
            }
            if let p = l.project { lines += projectLines(p, service: l.service, report: r) }
        } else {
            lines.append(("no lease", .dim))
        }
        if r.state == .conflict, let l = r.lease {
            let holder = r.holderSummary
            let owner = l.owner.map { "pid \($0.pid)" } ?? "its owner"
            lines.append(("conflict: held by \(holder), which is neither the leaseholder (\(owner), \(l.label)) nor a child of it", .conflict))
        }
        for o in r.owners {
            let fds = r.sockets.flatMap { $0.refs.filter { $0.pid == o.pid }.map { String($0.fd) } }
            lines.append(("pid \(o.pid)  \(o.name)  user \(o.user) (uid \(o.uid))  started \(startText(o.startTime))  fd \(fds.joined(separator: ","))", .normal))
            // The full command line, wrapped rather than cut.
            let cmd = sanitized(o.commandText)
            var rest = Substring(cmd)
            let w = max(10, width - 4)
            while !rest.isEmpty {
                lines.append(("  " + String(rest.prefix(w)), .dim))
                rest = rest.dropFirst(w)
            }
        }
        if r.owners.isEmpty, let uid = r.hiddenUIDs.first {
            let name = r.sockets.first { $0.socket.uid == uid && !$0.user.isEmpty }?.user ?? String(uid)
            lines.append(("held by user \(name): \(r.hiddenHolderText(uid: uid))", .foreign))
        }
        let socks = r.sockets.prefix(8).map { s -> String in
            var t = "\(s.socket.local.text) \(s.socket.state.name)"
            if s.socket.state != .listen { t += " ↔ \(s.socket.remote.text)" }
            if let ns = s.socket.netns { t += " (netns \(ns.name ?? String(ns.inode)))" }
            return t + (s.socket.inode != 0 ? " inode \(s.socket.inode)" : "")
        }
        if !socks.isEmpty {
            lines.append(("sockets: " + socks.joined(separator: "; ") + (r.sockets.count > 8 ? "; +\(r.sockets.count - 8) more" : ""), .normal))
        }
        if let note = r.note { lines.append(("note: " + note, .foreign)) }
        return Renderer.wrap(lines, width: width)
    }

    /// A project's port: where the project is, which service and port, its
    /// command, and whether it is ready (for `ready = "port"`: its own
    /// process listens on its main port).
    func projectLines(_ p: LeaseProject, service: String, report r: PortReport) -> [(String, Style)] {
        var lines: [(String, Style)] = [("project \(p.name) at \(p.root)   service \(service)" + (p.portName.map { ", port \"\($0)\"" } ?? ", main port"), .normal)]
        if let c = p.command { lines.append(("command: " + c, .dim)) }
        guard p.portName == nil, let ready = p.ready else { return lines }
        let listening = !r.listeners.isEmpty && r.state == .ours
        let readiness = ready == "port" ? (listening ? "ready (its process listens here)" : "not ready: nothing of its own listens here yet") : "none (ready once started)"
        lines.append(("readiness: \(ready) — \(readiness)", listening || ready != "port" ? .ours : .foreign))
        return lines
    }

    func drawEvents(_ g: inout TextGrid, _ s: DashboardState, top: Int, rows: Int) {
        g.fill(top, .heading)
        g.put(top, 0, " events ", .heading)
        let shown = s.events.suffix(rows - 1)
        if shown.isEmpty && rows > 1 { g.put(top + 1, 1, "no changes since start", .dim) }
        for (i, e) in shown.enumerated() {
            let x = g.put(top + 1 + i, 1, clockText(e.time) + "  ", .dim)
            g.put(top + 1 + i, x, e.text, e.style)
        }
    }

    /// The line above the footer: the reserve prompt, a kill in progress, or the last message.
    func drawStatusLine(_ g: inout TextGrid, _ s: DashboardState, row: Int) -> (Int, Int)? {
        if case .reservePrompt(let port, let text) = s.mode {
            let x = g.put(row, 0, "Reserve \(port) for service: ", .title)
            let end = g.put(row, x, sanitized(text))  // a paste may bring control characters
            if let m = s.message, m.style == .error { g.put(row, end + 2, m.text, .error) }
            return (row, min(end, g.width - 1))
        }
        if case .filterPrompt(let text) = s.mode {
            let x = g.put(row, 0, "Filter: ", .title)
            let end = g.put(row, x, sanitized(text))
            g.put(row, end + 2, "\(s.rows.count) of \(s.snapshot?.ports.count ?? 0) rows", .dim)
            return (row, min(end, g.width - 1))
        }
        if case .confirmRelease(let port, let label, let holder) = s.mode {
            let x = g.put(row, 0, "Release \(port) (\(sanitized(label)))? ", .title)
            let end = g.put(row, x, "\(sanitized(holder)) holds it and runs on without its lease. y: release, any other key: no", .conflict)
            return (row, min(end, g.width - 1))
        }
        if let k = s.killProgress { g.put(row, 0, k, .foreign); return nil }
        if let m = s.message { g.put(row, 0, m.text, m.style) }
        return nil
    }

    func drawFooter(_ g: inout TextGrid, _ s: DashboardState, row: Int) {
        var items: [(String, String)]
        switch s.mode {
        case .reservePrompt: items = [("Enter", "Reserve"), ("Esc", "Cancel"), ("^U", "Clear")]
        case .confirmKill: items = [("y", "Kill"), ("←→", "Signal"), ("n", "Cancel"), ("Esc", "Cancel")]
        case .filterPrompt: items = [("Enter", "Keep"), ("Esc", "Clear"), ("^U", "Empty")]
        case .confirmRelease: items = [("y", "Release"), ("other", "No")]
        default:
            items = KeyBindings.table.compactMap { b in b.footer.map { (b.keys[0].label, $0) } }
        }
        var x = 0
        for (k, name) in items {
            x = g.put(row, x, k, .key)
            x = g.put(row, x, " " + name + "  ")
        }
    }

    /// The kill confirmation. Whatever the height, it ends with the count of
    /// processes not drawn and the key hint: `y` must never signal more than
    /// the box admits to.
    func drawKillBox(_ g: inout TextGrid, port: UInt16, targets: [KillTarget], signal: KillSignal, armed: Bool) {
        let w = min(g.width - 2, 100)
        let room = max(0, g.height - 2 - 4)  // borders, the first line, "more", the hint
        let shown = min(targets.count, room / 2)
        let then = signal == .kill ? "" : ", then SIGKILL after \(Int(ProcessKiller.defaultGracePeriod)) s if the same process is still running"
        var body: [(String, Style)] = [
            ("signal (←/→ or 1-5): " + KillSignal.allCases.map { $0 == signal ? "[\($0.rawValue)]" : $0.rawValue }.joined(separator: " "), .title),
            ("\(signal.name)\(then):", .normal),
        ]
        for t in targets.prefix(shown) {
            body.append(("pid \(t.pid)  \(t.name)  user \(t.user)", .box))
            body.append(("  " + t.commandLine, .dim))
        }
        if shown < targets.count {
            body.append(("… and \(targets.count - shown) more process\(targets.count - shown == 1 ? "" : "es") (\(targets.count) in all): " +
                         targets.dropFirst(shown).map { String($0.pid) }.joined(separator: " "), .error))
        }
        // Until armed, the box says y is not taken yet (see DashboardState.confirmArmed).
        let yes = armed ? "y: kill \(targets.count == 1 ? "it" : "all \(targets.count)")" : "y: wait a moment…"
        body.append(("\(yes)   n / Esc: cancel", .title))
        let h = min(g.height, body.count + 2)
        let top = max(0, (g.height - h) / 2), left = max(0, (g.width - w) / 2)
        let hline = String(repeating: "─", count: max(0, w - 2))
        for r in top..<(top + h) { g.fill(r, from: left, to: left + w, .normal) }
        g.put(top, left, "┌" + hline + "┐", .box)
        g.put(top, left + 2, " Kill what holds port \(port)? ", .error)
        // Drop lines from the middle, never the count or the hint.
        var lines = body
        while lines.count > h - 2 && lines.count > 2 { lines.remove(at: lines.count - 3) }
        for (i, line) in lines.enumerated() {
            g.put(top + 1 + i, left, "│", .box)
            g.put(top + 1 + i, left + 2, line.0, line.1, maxWidth: w - 4)
            g.put(top + 1 + i, left + w - 1, "│", .box)
        }
        g.put(top + h - 1, left, "└" + hline + "┘", .box)
    }

    /// Every binding, from the key table itself; in two columns when one
    /// does not fit the height.
    func drawHelp(_ g: inout TextGrid) {
        g.fill(0, .heading)
        g.put(0, 1, "portdash keys", .heading)
        let entries = KeyBindings.table.map { (KeyBindings.label($0), $0.help) } + [
            ("click", "select a row"), ("Enter Esc", "keep / cancel a prompt"), ("paste", "text for a prompt only"),
            ("kill box", "←→ 1-5 signal, y kill, n no"), ("Ctrl-U", "empty a prompt"),
        ]
        let rows = max(1, g.height - 4)
        let columns = entries.count > rows ? 2 : 1
        let perColumn = (entries.count + columns - 1) / columns
        let width = g.width / columns
        for (i, e) in entries.enumerated() where i / perColumn < columns && i % perColumn < rows {
            let x = (i / perColumn) * width + 1, y = 2 + i % perColumn
            g.put(y, x, e.0, .title, maxWidth: 11)
            g.put(y, x + 12, e.1, .normal, maxWidth: max(0, width - 13))
        }
        g.put(g.height - 1, 0, "press any key to go back", .dim)
    }
}

extension String {
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}

/// HH:MM:SS in local time.
public func localClockText(_ t: Int64) -> String {
    var time = time_t(t)
    var tm = tm()
    localtime_r(&time, &tm)
    func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
    return "\(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec))"
}

/// A process start time (clock ticks after boot) as local wall time.
public func processStartText(_ ticks: UInt64) -> String {
    guard let boot = BootClock.shared.bootTime else { return "\(ticks) ticks" }
    let t = boot + Int64(ticks / UInt64(BootClock.shared.ticksPerSecond))
    let now = epochSeconds()
    return now - t < 86400 ? localClockText(t) : "\((now - t) / 86400)d ago"
}
