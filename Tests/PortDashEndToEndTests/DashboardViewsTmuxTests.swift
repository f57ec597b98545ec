import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// Issue 10's dashboard, used as a person would, in tmux: every listener on
/// Tab, the filter (where no key acts), a kill with a chosen signal that
/// says how the port stands after, and terminals that cannot draw.
@Suite("The dashboard's views, filter and kill box (tmux)", .blocking)
struct DashboardViewsTmuxTests {
    let fixture = TmuxDashboard()

    @Test("Tab shows every listener, a port outside the pool among them; Tab again is the pool")
    func everyListener() throws {
        let pool = TestSupport.freeRange(count: 3)
        let outside = TestSupport.freeRange(count: 1).first
        let child = try ChildProcess.listening(on: outside)
        let t = try fixture.start(pool, width: 140)
        t.waitFor("the first scan") { $0.contains("scanned") }
        #expect(t.row(outside).isEmpty)  // not in the pool view
        t.keys("Tab")
        #expect(t.waitFor(text: "every listener"))
        t.waitFor("the outside listener") { _ in t.row(outside).contains(String(child.pid)) }
        #expect(t.row(outside).contains("sleep"))
        t.keys("Tab")
        t.waitFor("the pool again") { $0.contains("pool \(pool.first)-\(pool.last)") && t.row(outside).isEmpty }
        t.keys("q")
        t.waitFor("the exit") { $0.contains("EXITED") }
    }

    @Test("keys typed into the filter act on nothing; the list narrows; Esc clears")
    func filterActsOnNothing() throws {
        let pool = TestSupport.freeRange(count: 4)
        let child = try ChildProcess.listening(on: pool.first + 1)
        let t = try fixture.start(pool)
        t.waitFor("the listener") { _ in t.row(pool.first + 1).contains(String(child.pid)) }
        t.keys("/")
        #expect(t.waitFor(text: "Filter: "))
        // In the list, x would open the kill box and q quit; here they are text.
        t.type("xq")
        #expect(t.waitFor(text: "Filter: xq"))
        #expect(!t.screen.contains("Kill what holds") && !t.screen.contains("EXITED"))
        t.keys("C-u")
        t.type("sleep")
        t.waitFor("only the sleep row") { _ in !t.row(pool.first + 1).isEmpty && t.row(pool.first).isEmpty }
        t.keys("Enter")
        #expect(t.waitFor(text: "filter \"sleep\""))
        t.keys("/", "Escape")
        t.waitFor("every row again") { _ in !t.row(pool.first).isEmpty && !t.row(pool.last).isEmpty }
        #expect(!child.hasExited)
        t.keys("q")
        t.waitFor("the exit") { $0.contains("EXITED") }
    }

    @Test("the kill box sends the chosen signal, and the status line then says the port is free")
    func killWithSignal() throws {
        let pool = TestSupport.freeRange(count: 2)
        let (t, child) = try fixture.startWithListener(pool, on: pool.first)
        t.keys("x")
        #expect(t.waitFor(text: "[TERM]"))
        t.keys("2")  // INT
        #expect(t.waitFor(text: "[INT]"))
        #expect(t.waitFor(text: "y: kill it"))
        t.keys("y")
        #expect(child.wait() == 128 + SIGINT)
        #expect(t.waitFor(text: "\(pool.first) is free now"))
        t.keys("q")
        t.waitFor("the exit") { $0.contains("EXITED") }
    }

    @Test("a burst that starts with d never releases: every key of a multi-key read is typed ahead, the first too")
    func burstFirstKey() throws {
        let pool = TestSupport.freeRange(count: 3)
        #expect(fixture.cli(["reserve", String(pool.first + 1), "keepme"], pool).status == 0)
        let t = try fixture.start(pool)
        t.waitFor("the reservation") { _ in t.row(pool.first + 1).contains("keepme") }
        t.keys("j")
        t.keys("Enter")
        #expect(t.waitFor(text: "\(pool.first + 1) details"))
        // One write of two bytes, as an unbracketed paste of "dq" arrives.
        t.type("dq")
        t.waitFor("the exit") { $0.contains("EXITED") }
        #expect(fixture.book().lease(on: pool.first + 1)?.service == "keepme")
    }

    @Test("TERM=dumb or an unknown terminal: one line, non-zero exit, at once")
    func cannotDraw() throws {
        let pool = TestSupport.freeRange(count: 1)
        for term in ["dumb", "no-such-terminal-type"] {
            let t = try TmuxSession(command: ["env", "TERM=\(term)", TestSupport.portdashBinary, "--range", "\(pool.first)-\(pool.last)"],
                                    environment: ["PORTDASH_STATE": fixture.state])
            t.waitFor("the exit") { $0.contains("EXITED") }
            #expect(t.exitStatus == 69)
            // One message (the pane may wrap it), naming the way out.
            let before = String(t.screen.prefix { _ in true }.split(separator: "EXITED", maxSplits: 1, omittingEmptySubsequences: false)[0])
            #expect(before.split(separator: "portdash:", omittingEmptySubsequences: false).count == 2, "\(term): \(t.screen)")
            #expect(before.filter { $0 != "\n" }.contains("for scripts use: portdash status"), "\(term)")
        }
    }
}
