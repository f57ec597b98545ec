import Testing
import PortKit
@testable import PortDashUI

@Suite("Dashboard keys and state (no terminal)")
struct KeyHandlingTests {
    let layout = Layout(listTop: 3, listHeight: 5)

    func press(_ keys: [Key], _ s: inout DashboardState) -> [Reaction] {
        keys.map { KeyBindings.handle($0, &s, layout: layout) }
    }

    @Test("selection moves with arrows, j/k, PgUp/PgDn, Home/End, and stays in the range")
    func selection() throws {
        var s = try UIFixtures.state()
        _ = press([.down, .down, .char("j")], &s)
        #expect(s.selected == 3 && s.selectedPort == 5003)
        _ = press([.up, .char("k")], &s)
        #expect(s.selected == 1)
        _ = press([.up, .up, .up], &s)
        #expect(s.selected == 0)
        _ = press([.pageDown], &s)
        #expect(s.selected == 4)
        _ = press([.end], &s)
        #expect(s.selected == 10)
        _ = press([.down], &s)
        #expect(s.selected == 10)
        _ = press([.pageUp, .home], &s)
        #expect(s.selected == 0)
    }

    @Test("o opens the selected lease's URL (its name through the router); a port with no lease has none")
    func openURL() throws {
        var s = try UIFixtures.state()
        s.select(0)  // 5000, leased to api
        #expect(s.selectedURL == "http://api.localhost:5099/")
        let r = KeyBindings.handle(.char("o"), &s, layout: layout)
        #expect(r.command == .open(url: "http://api.localhost:5099/"))
        // No router running: straight to the port.
        var direct = s
        direct.router = nil
        #expect(KeyBindings.handle(.char("o"), &direct, layout: layout).command == .open(url: "http://127.0.0.1:5000/"))
        s.select(1)
        #expect(KeyBindings.handle(.char("o"), &s, layout: layout).command == nil)
        #expect(s.message?.text.contains("no lease") == true)
    }

    @Test("d on a lease a running process holds asks first, naming it; y releases, any other key (Enter too) is no")
    func releaseAsks() throws {
        var s = try UIFixtures.state()
        s.select(0)  // 5000: leased to api, held by python3 (pid 100)
        let asked = KeyBindings.handle(.char("d"), &s, layout: layout)
        #expect(asked.command == nil && asked.flags.contains(.dropTypeAhead))
        guard case .confirmRelease(5000, let label, let holder) = s.mode else { Issue.record("\(s.mode)"); return }
        #expect(label == "api" && holder == "python3 (pid 100)")
        let screen = UIFixtures.renderer.render(s, width: 160, height: 32).grid.text
        #expect(screen.contains("Release 5000 (api)? python3 (pid 100) holds it and runs on without its lease. y: release, any other key: no"))
        for no in [Key.enter, .char("n"), .escape, .char("d"), .char(" ")] {
            s.mode = .confirmRelease(port: 5000, label: "api", holder: holder)
            #expect(KeyBindings.handle(no, &s, layout: layout).command == nil, "\(no)")
            #expect(s.mode == .normal && s.message?.text == "release cancelled; api keeps 5000")
        }
        s.mode = .confirmRelease(port: 5000, label: "api", holder: holder)
        #expect(KeyBindings.handle(.char("y"), &s, layout: layout, typedAhead: true).command == nil)
        #expect(s.mode == .normal)
        _ = KeyBindings.handle(.char("d"), &s, layout: layout)
        #expect(KeyBindings.handle(.char("y"), &s, layout: layout).command == .release(port: 5000))
        // A lease nothing holds is released at once, as before.
        s.select(9)  // 5009: web, idle
        #expect(KeyBindings.handle(.char("d"), &s, layout: layout).command == .release(port: 5009))
    }

    @Test("the mouse wheel moves the selection")
    func wheel() throws {
        var s = try UIFixtures.state()
        _ = press([.wheelDown, .wheelDown, .wheelDown, .wheelUp], &s)
        #expect(s.selected == 2)
    }

    @Test("a click on a row selects it; a click elsewhere does nothing")
    func click() throws {
        var s = try UIFixtures.state()
        _ = press([.click(row: 5, col: 10)], &s)
        #expect(s.selected == 2)
        _ = press([.click(row: 0, col: 10)], &s)
        #expect(s.selected == 2)
    }

    @Test("r opens a prompt; typing, backspace, Enter asks the engine to reserve")
    func reservePrompt() throws {
        var s = try UIFixtures.state()
        s.select(7)
        _ = press([.char("r")], &s)
        #expect(s.mode == .reservePrompt(port: 5007, text: ""))
        _ = press([.char("w"), .char("e"), .char("x"), .backspace, .char("b")], &s)
        #expect(s.mode == .reservePrompt(port: 5007, text: "web"))
        let r = KeyBindings.handle(.enter, &s, layout: layout)
        #expect(r.command == .reserve(port: 5007, service: "web"))
        #expect(s.mode == .normal)
    }

    @Test("Esc cancels the prompt; a bad name keeps it open with an error")
    func reserveCancelAndBadName() throws {
        var s = try UIFixtures.state()
        s.select(7)
        _ = press([.char("r"), .char("a"), .escape], &s)
        #expect(s.mode == .normal)
        _ = press([.char("r"), .char("a"), .char(" "), .char("b")], &s)
        let r = KeyBindings.handle(.enter, &s, layout: layout)
        #expect(r.command == nil)
        #expect(s.message?.style == .error)
        #expect(s.mode == .reservePrompt(port: 5007, text: "a b"))
    }

    @Test("q and F10 quit; but q in a prompt is just a letter")
    func quit() throws {
        var s = try UIFixtures.state()
        #expect(KeyBindings.handle(.char("q"), &s, layout: layout).flags.contains(.quit))
        #expect(KeyBindings.handle(.function(10), &s, layout: layout).flags.contains(.quit))
        s.select(7)
        _ = press([.char("r")], &s)
        #expect(!KeyBindings.handle(.char("q"), &s, layout: layout).flags.contains(.quit))
        #expect(s.mode == .reservePrompt(port: 5007, text: "q"))
    }

    @Test("d releases only where there is a lease")
    func release() throws {
        var s = try UIFixtures.state()
        s.select(9)  // 5009: web
        #expect(KeyBindings.handle(.char("d"), &s, layout: layout).command == .release(port: 5009))
        s.select(7)  // free, no lease
        #expect(KeyBindings.handle(.char("d"), &s, layout: layout).command == nil)
        #expect(s.message?.text == "5007 has no lease to release")
    }

    @Test("x asks first, listing every process that would be signalled; y confirms, n cancels")
    func killConfirm() throws {
        var s = try UIFixtures.state()
        s.select(6)  // 5006: shared by 300 and 301
        _ = press([.char("x")], &s)
        guard case .confirmKill(let port, let targets, _) = s.mode else { Issue.record("no confirmation"); return }
        #expect(port == 5006)
        #expect(targets.map(\.pid) == [300, 301])
        #expect(targets[1].startTime == 5100)
        #expect(KeyBindings.handle(.char("n"), &s, layout: layout).command == nil)
        #expect(s.mode == .normal)
        _ = press([.function(9)], &s)
        s.confirmArmed = true  // the run loop arms the box once it has been on screen a moment
        #expect(KeyBindings.handle(.char("y"), &s, layout: layout).command == .kill(port: 5006, targets: targets, signal: .term))
    }

    @Test("the kill box never hides a process it will signal, at any height")
    func killBoxCounts() throws {
        var s = try UIFixtures.state()
        let targets = (0..<12).map { KillTarget(pid: Int32(1000 + $0), startTime: 1, name: "worker", user: "ann", commandLine: "gunicorn worker \($0)") }
        s.mode = .confirmKill(port: 5006, targets: targets, signal: .term)
        s.confirmArmed = true
        for height in [8, 12, 24, 40] {
            let text = UIFixtures.renderer.render(s, width: 80, height: height).grid.text
            let drawn = targets.filter { text.contains("pid \($0.pid) ") }.count
            #expect(text.contains("y: kill all 12"), "height \(height)")
            if drawn < 12 { #expect(text.contains("and \(12 - drawn) more"), "height \(height)") }
        }
    }

    @Test("x on a free port or a hidden owner explains instead of asking")
    func killNothing() throws {
        var s = try UIFixtures.state()
        s.select(7)
        _ = press([.char("x")], &s)
        #expect(s.mode == .normal && s.message?.text.contains("nothing to kill") == true)
        s.select(4)  // 5004: uid 1001, pid hidden
        _ = press([.char("x")], &s)
        #expect(s.mode == .normal && s.message?.text.contains("pid hidden") == true)
    }

    @Test("+ and - step the interval and ask for a new schedule")
    func interval() throws {
        var s = try UIFixtures.state()
        let r = KeyBindings.handle(.char("+"), &s, layout: layout)
        #expect(s.interval == 2 && r.flags.contains(.reschedule))
        _ = press([.char("-"), .char("-"), .char("-"), .char("-"), .char("-")], &s)
        #expect(s.interval == 0.25)
    }

    @Test("Enter toggles details; ? opens help and any key closes it; Ctrl-L repaints")
    func toggles() throws {
        var s = try UIFixtures.state()
        _ = press([.enter], &s)
        #expect(s.showDetails)
        _ = press([.char("?")], &s)
        #expect(s.mode == .help)
        #expect(!KeyBindings.handle(.char("q"), &s, layout: layout).flags.contains(.quit))
        #expect(s.mode == .normal)
        #expect(KeyBindings.handle(.ctrl("l"), &s, layout: layout).flags.contains(.repaint))
        #expect(KeyBindings.handle(.char(" "), &s, layout: layout).flags.contains(.rescan))
    }

    @Test("the help screen lists every binding of the table that dispatches keys")
    func helpFromTable() throws {
        var s = try UIFixtures.state()
        s.mode = .help
        let text = UIFixtures.renderer.render(s, width: 100, height: 40).grid.text
        for b in KeyBindings.table {
            #expect(text.contains(KeyBindings.label(b)), "\(b.help)")
            #expect(text.contains(b.help))
        }
        // No key is bound twice, and pressing each key does exactly what its
        // binding's action does.
        var seen: [Key: String] = [:]
        for b in KeyBindings.table {
            for k in b.keys {
                #expect(seen[k] == nil, "\(k.label) is bound to both \(seen[k] ?? "") and \(b.help)")
                seen[k] = b.help
                var viaKey = try UIFixtures.state()
                var direct = viaKey
                let pressed = KeyBindings.handle(k, &viaKey, layout: layout)
                let called = b.action(&direct, layout)
                #expect(pressed == called && viaKey == direct, "\(k.label)")
            }
        }
    }

    @Test("an existing lease's name is offered when reserving its port")
    func reservePrefill() throws {
        var s = try UIFixtures.state()
        s.select(9)
        _ = press([.char("r")], &s)
        #expect(s.mode == .reservePrompt(port: 5009, text: "web"))
    }

    @Test("the event log says what changed between scans")
    func events() throws {
        let before = try UIFixtures.snapshot(leases: [])
        let after = try UIFixtures.snapshot(leases: UIFixtures.defaultLeases, now: 1_795_000_005)
        var s = DashboardState(range: UIFixtures.range, statePath: "/x", interval: 1)
        s.apply(before)
        s.apply(after)
        let texts = s.events.map(\.text)
        #expect(texts.first?.hasPrefix("first scan: 7 foreign (5000 python3, 5001 python3") == true)
        #expect(texts.contains("5008 reserved for db"))
        #expect(texts.contains("5009 leased to web"))
        #expect(texts.contains { $0.hasPrefix("5000 CONFLICT: leased to api but held by python3 (pid 100)") })
        s.apply(before)
        #expect(s.events.map(\.text).contains("5009 released (was web)"))
    }

    @Test("Tab switches to every listener and back, asking for a scan of that view")
    func views() throws {
        var s = try UIFixtures.state()
        let r = KeyBindings.handle(.tab, &s, layout: layout)
        #expect(s.view == .listeners && r.flags.contains(.rescan))
        #expect(s.scope == .listeners(within: nil, uid: nil, namespaces: true))
        #expect(s.rows.isEmpty)  // not scanned yet in this view
        _ = press([.tab], &s)
        #expect(s.view == .pool && s.scope == .pool(s.range) && s.rows.count == 11)
    }

    @Test("the filter: every key goes into the text (none acts), rows narrow as it is typed, Enter keeps it, Esc clears it")
    func filter() throws {
        var s = try UIFixtures.state()
        _ = press([.char("/")], &s)
        #expect(s.mode == .filterPrompt(text: ""))
        // q, x, d, r would quit, kill, release, reserve in the list: here they are text.
        let reactions = press([.char("g"), .char("u"), .char("n"), .char("q"), .char("x"), .char("d"), .char("r")], &s)
        #expect(reactions.allSatisfy { $0.command == nil && !$0.flags.contains(.quit) })
        #expect(s.mode == .filterPrompt(text: "gunqxdr") && s.rows.isEmpty)
        _ = press([.ctrl("u")] + "gunicorn".map { Key.char($0) }, &s)
        #expect(s.rows.map(\.port) == [5005, 5006])  // the master's and the worker's command lines
        _ = press([.enter], &s)
        #expect(s.mode == .normal && s.filter == "gunicorn" && s.rows.count == 2)
        #expect(s.selectedPort == 5005)
        _ = press([.function(4), .escape], &s)
        #expect(s.filter.isEmpty && s.rows.count == 11)
        // By user and by pid too.
        _ = press([.char("/")] + "bob".map { Key.char($0) } + [.enter], &s)
        #expect(s.rows.map(\.port) == [5004])
        _ = press([.char("/"), .ctrl("u")] + "300".map { Key.char($0) } + [.enter], &s)
        #expect(s.rows.map(\.port) == [5006])
    }

    @Test("f hides free ports; sort by process and back by port; the selection stays on its port")
    func hideAndSort() throws {
        var s = try UIFixtures.state()
        s.select(6)  // 5006 gunicorn
        _ = press([.char("f")], &s)
        #expect(!s.rows.contains { $0.state == .free } && s.selectedPort == 5006)
        _ = press([.char(">"), .char(">")], &s)
        #expect(s.sort == .process)
        let names = s.rows.map { $0.owners.first?.name ?? "~" }
        #expect(names == names.sorted { $0.lowercased() < $1.lowercased() })
        #expect(s.selectedPort == 5006)
        _ = press([.char("<"), .char("<")], &s)
        #expect(s.sort == .port && s.rows.map(\.port) == s.rows.map(\.port).sorted())
    }

    @Test("an unbound key says so and does nothing else")
    func unbound() throws {
        var s = try UIFixtures.state()
        let before = s
        let r = KeyBindings.handle(.char("z"), &s, layout: layout)
        #expect(r.command == nil && s.message?.text == "z: no such key here — ? for help")
        s.message = nil
        #expect(s == before)
        // Insert, Shift-Tab and friends come by their terminfo name, and say so too.
        _ = KeyBindings.handle(.other("KEY_IC"), &s, layout: layout)
        #expect(s.message?.text == "KEY_IC: no such key here — ? for help")
    }

    @Test("the kill box: arrows and 1-5 choose the signal, which y then sends")
    func killSignal() throws {
        var s = try UIFixtures.state()
        s.select(6)
        _ = press([.char("x")], &s)
        guard case .confirmKill(_, let targets, .term) = s.mode else { Issue.record("no box"); return }
        _ = press([.right, .right], &s)
        #expect(s.mode == .confirmKill(port: 5006, targets: targets, signal: .hup))
        _ = press([.char("4")], &s)
        #expect(s.mode == .confirmKill(port: 5006, targets: targets, signal: .kill))
        _ = press([.left, .left, .left, .left], &s)
        #expect(s.mode == .confirmKill(port: 5006, targets: targets, signal: .usr1))
        s.confirmArmed = true
        #expect(KeyBindings.handle(.char("y"), &s, layout: layout).command == .kill(port: 5006, targets: targets, signal: .usr1))
    }

    @Test("reserve and release act only on the pool's ports")
    func poolOnly() throws {
        var s = try UIFixtures.state()
        let outside = PortSnapshot(range: nil, ports: [.init(port: 22, state: .foreign, lease: nil, leaseStatus: nil, sockets: [],
                                                            probe: ProbeResult(ipv4: .inUse, ipv6: .inUse), note: nil)],
                                   takenAt: 1, unreadablePids: 0)
        _ = press([.tab], &s)
        s.apply(outside, view: .listeners)
        #expect(s.selectedPort == 22)
        _ = press([.char("r")], &s)
        #expect(s.mode == .normal && s.message?.text.contains("outside") == true)
        #expect(KeyBindings.handle(.char("d"), &s, layout: layout).command == nil)
    }

    @Test("a lease whose program binds a hard-coded port: the row and the details pane say it")
    func bindsShown() throws {
        var web = Lease(service: "web", port: 5009, kind: .lease, granted: 1_794_990_000, expires: 1_795_003_600, ttl: 3600,
                        project: LeaseProject(root: "/src/shop", name: "shop@feature-x"))
        web.binds = 3000
        var s = DashboardState(range: UIFixtures.range, statePath: "/tmp/leases.json", interval: 1)
        s.apply(try UIFixtures.snapshot(leases: [web]), scanSeconds: 0.001)
        s.select(s.rows.firstIndex { $0.port == 5009 } ?? 0)
        s.showDetails = true
        let text = UIFixtures.renderer.render(s, width: 160, height: 40).grid.text
        #expect(text.contains("web · shop@feature-x binds 3000"), "\(text)")
        #expect(text.contains("binds 3000: its program binds 3000 itself"), "\(text)")
    }

    @Test("R: a port of a running up's service asks that up; any other port says why not, and asks nothing")
    func restartKey() throws {
        var s = try UIFixtures.state()
        s.select(s.rows.firstIndex { $0.port == 5009 } ?? 0)  // web: a lease with no up behind it
        #expect(KeyBindings.handle(.char("R"), &s, layout: layout).command == nil)
        #expect(s.message?.text.contains("is not a service of a running portdash up") == true)
    }

    @Test("a port a running up holds: R asks that up; d releases nothing and says why (up starts it there again), with no box")
    func upsPort() throws {
        // pid 150 runs in the fixture: the up (owner with no supervisor: up's own lease between two runs), or its service's supervisor.
        let up = LeaseOwner(pid: 150, startTime: 4300)
        for owner in [up, LeaseOwner(pid: 150, startTime: 4300, group: nil, supervisor: up.process)] {
            let api = Lease(service: "api", port: 5000, kind: .lease, granted: 1_794_990_000, owner: owner,
                            project: LeaseProject(root: "/src/shop", name: "shop@main"))
            var s = DashboardState(range: UIFixtures.range, statePath: "/tmp/leases.json", interval: 1)
            s.apply(try UIFixtures.snapshot(leases: [api]), scanSeconds: 0.001)
            s.select(s.rows.firstIndex { $0.port == 5000 } ?? 0)
            #expect(KeyBindings.handle(.char("R"), &s, layout: layout).command == .restart(root: "/src/shop", service: "api"))
            let d = KeyBindings.handle(.char("d"), &s, layout: layout)
            #expect(d.command == nil && s.mode == .normal)
            #expect(s.message?.text.contains("5000 (api · shop@main) belongs to the portdash up running in /src/shop") == true, "\(s.message?.text ?? "")")
            #expect(s.message?.text.contains("portdash restart api") == true)
        }
    }
}
