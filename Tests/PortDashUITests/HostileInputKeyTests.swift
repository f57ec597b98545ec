import Testing
import PortKit
@testable import PortDashUI

/// Issue 8 at the level of key handling: a paste is text for a prompt or
/// nothing; keys typed ahead never confirm; a damaged state file refuses
/// reserve and release and invents no release.
@Suite("Pastes, type-ahead and a damaged state file (no terminal)")
struct HostileInputKeyTests {
    let layout = Layout(listTop: 3, listHeight: 5)

    func press(_ key: Key, _ s: inout DashboardState, typedAhead: Bool = false) -> Reaction {
        KeyBindings.handle(key, &s, layout: layout, typedAhead: typedAhead)
    }

    @Test("a paste goes into the open prompt as text, newlines included; Enter then refuses the name")
    func pasteIntoPrompt() throws {
        var s = try UIFixtures.state()
        s.select(7)
        _ = press(.char("r"), &s)
        let r = press(.paste("web\rxy\r"), &s)
        #expect(r.command == nil)
        #expect(s.mode == .reservePrompt(port: 5007, text: "web\rxy\r"))
        let enter = press(.enter, &s)
        #expect(enter.command == nil)
        #expect(s.message?.style == .error && s.message?.text.contains("may only use") == true)
        #expect(s.mode == .reservePrompt(port: 5007, text: "web\rxy\r"))
    }

    @Test("with no prompt open a paste does nothing, whatever it holds: it is not keys")
    func pasteWithoutPrompt() throws {
        for text in ["x", "y", "q", "d", "xy\r", "rweb\r"] {
            var s = try UIFixtures.state()
            s.select(9)  // 5009: a lease, so d would release
            let before = s
            let r = press(.paste(text), &s)
            #expect(r.command == nil && !r.flags.contains(.quit), "\(text)")
            #expect(s.mode == before.mode && s.selected == before.selected, "\(text)")
            #expect(s.message?.text == "paste ignored: no prompt open")
        }
    }

    @Test("a paste into the kill box never confirms it, armed or not")
    func pasteIntoKillBox() throws {
        var s = try UIFixtures.state()
        s.select(1)
        _ = press(.char("x"), &s)
        s.confirmArmed = true
        for text in ["y", "Y", "yes\r"] {
            #expect(press(.paste(text), &s).command == nil)
            guard case .confirmKill = s.mode else { Issue.record("the box closed on a paste of \(text)"); return }
        }
    }

    @Test("a paste that would make the name too long is refused whole, with a message")
    func pasteTooLong() throws {
        var s = try UIFixtures.state()
        s.select(7)
        _ = press(.char("r"), &s)
        _ = press(.paste("web-"), &s)
        _ = press(.paste(String(repeating: "a", count: 61)), &s)
        #expect(s.mode == .reservePrompt(port: 5007, text: "web-"))
        #expect(s.message?.text.contains("paste refused") == true)
        #expect(s.message?.text.contains("65 bytes; the limit is 64") == true)
    }

    @Test("typing past 64 bytes is refused with a message, never cut silently")
    func typedTooLong() throws {
        var s = try UIFixtures.state()
        s.select(7)
        _ = press(.char("r"), &s)
        let name = String(repeating: "n", count: 64)
        _ = press(.paste(name), &s)
        #expect(s.message == nil)
        _ = press(.char("x"), &s)
        #expect(s.mode == .reservePrompt(port: 5007, text: name))
        #expect(s.message?.style == .error && s.message?.text.contains("at most 64 bytes") == true)
        // The limit is ServiceName's: 64 passes it, 65 would not.
        #expect(ServiceName.problem(name) == nil)
        #expect(ServiceName.problem(name + "x") != nil)
        #expect(press(.enter, &s).command == .reserve(port: 5007, service: name))
    }

    @Test("opening the kill box drops type-ahead, and y counts only once the box is armed")
    func killBoxArms() throws {
        var s = try UIFixtures.state()
        s.select(1)
        let open = press(.char("x"), &s)
        #expect(open.flags.contains(.dropTypeAhead))
        #expect(!s.confirmArmed)
        #expect(press(.char("y"), &s).command == nil)
        #expect(s.message?.text.hasPrefix("y ignored") == true)
        guard case .confirmKill(_, let targets, _) = s.mode else { Issue.record("the box closed"); return }
        s.confirmArmed = true
        // Armed, y still does not count when it came in a burst behind another key.
        #expect(press(.char("y"), &s, typedAhead: true).command == nil)
        #expect(press(.char("y"), &s).command == .kill(port: 5001, targets: targets, signal: .term))
        #expect(s.mode == .normal && !s.confirmArmed)
    }

    @Test("the box says y is not taken until armed")
    func killBoxHint() throws {
        var s = try UIFixtures.state()
        s.select(1)
        _ = press(.char("x"), &s)
        var text = UIFixtures.renderer.render(s, width: 80, height: 24).grid.text
        #expect(text.contains("y: wait a moment") && !text.contains("y: kill it"))
        s.confirmArmed = true
        text = UIFixtures.renderer.render(s, width: 80, height: 24).grid.text
        #expect(text.contains("y: kill it"))
    }

    @Test("Enter typed ahead with the name is refused; accepted, it drops the rest of its burst")
    func enterInBurst() throws {
        var s = try UIFixtures.state()
        s.select(7)
        _ = press(.char("r"), &s)
        _ = press(.char("w"), &s)
        #expect(press(.enter, &s, typedAhead: true).command == nil)
        #expect(s.mode == .reservePrompt(port: 5007, text: "w"))
        #expect(s.message?.text.hasPrefix("Enter ignored") == true)
        let r = press(.enter, &s)
        #expect(r.command == .reserve(port: 5007, service: "w"))
        #expect(r.flags.contains(.dropTypeAhead))
    }

    @Test("d (it changes the state file) counts only as the first key of its read; moving and r do not need to")
    func releaseNotTypedAhead() throws {
        var s = try UIFixtures.state()
        s.select(8)
        _ = press(.char("j"), &s, typedAhead: true)
        #expect(s.selected == 9)
        #expect(press(.char("d"), &s, typedAhead: true).command == nil)
        #expect(s.message?.text.hasPrefix("d ignored") == true)
        #expect(press(.char("d"), &s).command == .release(port: 5009))
        _ = press(.char("r"), &s, typedAhead: true)
        #expect(s.mode == .reservePrompt(port: 5009, text: "web"))
    }

    static let damage = StateDamage(error: .badStateFile(path: "/x/leases.json", problem: "is not valid JSON"), since: 1_795_000_100, leasesAsOf: 1_795_000_090)

    @Test("while the state file is damaged, r, d and Enter in an open prompt are refused with a message")
    func damagedRefuses() throws {
        var s = try UIFixtures.state()
        s.select(9)
        _ = press(.char("r"), &s)  // the prompt is open before the damage is seen
        s.apply(stateDamage: HostileInputKeyTests.damage, at: 1_795_000_100)
        #expect(press(.enter, &s).command == nil)
        #expect(s.message?.text == "reserve refused: the state file is damaged; run portdash repair")
        _ = press(.escape, &s)
        #expect(press(.char("d"), &s).command == nil)
        #expect(s.message?.text == "release refused: the state file is damaged; run portdash repair")
        _ = press(.char("r"), &s)
        #expect(s.mode == .normal)
        #expect(s.message?.text == "reserve refused: the state file is damaged; run portdash repair")
    }

    @Test("a state file of a newer portdash: reserve is refused with that reason, never with the advice to repair (which would throw it away)")
    func newerRefuses() throws {
        var s = try UIFixtures.state()
        s.select(9)
        s.apply(stateDamage: StateDamage(error: .newerStateFile(path: "/x/leases.json", version: 3), since: 1_795_000_100, leasesAsOf: nil), at: 1_795_000_100)
        _ = press(.char("r"), &s)
        #expect(s.message?.text == "reserve refused: the state file is written by a newer portdash; use the newer portdash")
        #expect(s.events.last?.text.contains("repair") == false)
    }

    @Test("damage is logged once and recovery once, however many scans come in between; no release is invented")
    func damageLoggedOnce() throws {
        var s = try UIFixtures.state()
        let snap = try UIFixtures.snapshot()  // the worker keeps the last good leases while damaged
        for t in 0..<5 {
            s.apply(snap)
            s.apply(stateDamage: HostileInputKeyTests.damage, at: 1_795_000_100 + Int64(t))
        }
        s.apply(snap)
        s.apply(stateDamage: nil, at: 1_795_000_200)
        s.apply(snap)
        s.apply(stateDamage: nil, at: 1_795_000_201)
        let texts = s.events.map(\.text)
        #expect(texts.filter { $0.hasPrefix("state file damaged:") }.count == 1)
        #expect(texts.filter { $0.hasPrefix("state file good again") }.count == 1)
        #expect(!texts.contains { $0.contains("released") })
        #expect(s.message?.text.hasPrefix("state file good again") == true)
    }

    @Test("the header marks the leases as stale and says how to fix it")
    func damageHeader() throws {
        var s = try UIFixtures.state()
        s.apply(stateDamage: HostileInputKeyTests.damage, at: 1_795_000_100)
        let text = UIFixtures.renderer.render(s, width: 120, height: 24).grid.text
        #expect(text.contains("state file damaged since 12:00:20: showing leases as of 12:00:10; run portdash repair"))
        s.apply(stateDamage: StateDamage(error: .badStateFile(path: "x", problem: "x"), since: 1_795_000_100, leasesAsOf: nil), at: 0)
        let never = UIFixtures.renderer.render(s, width: 120, height: 24).grid.text
        #expect(never.contains("no leases shown (never read)"))
    }
}
