import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// Issue 8 against the real binary in tmux: a paste or a burst of keys
/// never acts, and a damaged state file never reads as released leases.
/// Each test has its own tmux server, state file and ports.
@Suite("The dashboard under hostile input (tmux)", .blocking)
struct DashboardHostileInputTests {
    let fixture = TmuxDashboard()

    /// The text of the line starting with `prefix`, or "".
    func line(_ t: TmuxSession, _ prefix: String) -> String {
        t.screen.split(separator: "\n").first { $0.hasPrefix(prefix) }.map(String.init) ?? ""
    }

    @Test("a paste into the reserve prompt is text: its newline is not Enter, its x and y never kill")
    func pasteIntoPrompt() throws {
        let range = TestSupport.freeRange(count: 3)
        let (t, child) = try fixture.startWithListener(range, on: range.first)

        t.keys("r")
        let prompt = "Reserve \(range.first) for service: "
        #expect(t.waitFor(text: "Reserve \(range.first) for service:"))  // capture-pane drops trailing spaces
        t.paste("web\nxy\n")
        // The whole paste lands in the prompt, newlines shown as characters.
        #expect(t.waitFor("the pasted text in the prompt") { _ in
            let l = self.line(t, prompt)
            return l.hasPrefix(prompt + "web") && l.contains("xy")
        })
        #expect(!child.hasExited, "a paste killed the listener")
        #expect(!t.screen.contains("Kill what holds port"))
        #expect(fixture.book().leases.isEmpty)

        // Enter (typed, not pasted) refuses the name: a newline is no part of one.
        t.keys("Enter")
        #expect(t.waitFor(text: "may only use letters"))
        #expect(fixture.book().leases.isEmpty)
        t.keys("Escape")
        #expect(t.waitFor(text: "reserve cancelled"))
        #expect(!child.hasExited)
    }

    @Test("a paste with no prompt open does nothing: not x, not y, not q")
    func pasteWithoutPrompt() throws {
        let range = TestSupport.freeRange(count: 3)
        let (t, child) = try fixture.startWithListener(range, on: range.first)

        t.paste("xy\nq")
        #expect(t.waitFor(text: "paste ignored: no prompt open"))
        #expect(!t.screen.contains("Kill what holds port"))
        #expect(!t.screen.contains("EXITED"))
        #expect(!child.hasExited)

        // Quit; bracketed paste is off again: a paste now reaches the shell's
        // terminal as plain text, with no ESC[200~ around it.
        t.keys("q")
        t.waitFor("the exit") { $0.contains("EXITED") }
        #expect(t.exitStatus == 0)
        t.paste("after-exit")
        #expect(t.waitFor(text: "after-exit"))
        #expect(!t.screen.contains("[200~"))
    }

    @Test("x and y in one burst open the kill box but never confirm it; a later y does")
    func burstNeverConfirms() throws {
        let range = TestSupport.freeRange(count: 3)
        let (t, child) = try fixture.startWithListener(range, on: range.first)

        t.keys("x", "y")  // one send-keys: both reach the dashboard in one write
        // The box is shown, and armed only after the burst: y typed ahead was dropped.
        #expect(t.waitFor(text: "y: kill it"))
        #expect(t.screen.contains("Kill what holds port \(range.first)?"))
        #expect(!child.hasExited, "a y typed ahead confirmed the kill box")

        // A y pressed once the box is visible and armed does confirm it.
        t.keys("y")
        #expect(t.waitFor(text: "exited after SIGTERM"))
        #expect(child.wait() == 128 + SIGTERM)
    }

    @Test("Ctrl-C and Ctrl-Z bytes inside a paste are text (no signal, no quit); a typed Ctrl-C quits with 130")
    func controlBytesInPaste() throws {
        let range = TestSupport.freeRange(count: 3)
        let t = try fixture.start(range)
        t.waitFor("the first scan") { $0.contains("scanned") }
        t.keys("r")
        let prompt = "Reserve \(range.first) for service: "
        #expect(t.waitFor(text: "Reserve \(range.first) for service:"))
        t.paste("ab\u{03}cd\u{1A}ef")
        // The paste lands in the prompt (its control bytes shown escaped), and the dashboard runs on.
        #expect(t.waitFor("the pasted text in the prompt") { _ in
            let l = self.line(t, prompt)
            return l.contains("ab") && l.contains("ef")
        })
        #expect(t.exitStatus == nil, "a pasted ^C or ^Z acted as a signal")
        t.keys("Escape")
        t.keys("C-c")
        t.waitFor("the exit") { $0.contains("EXITED") }
        #expect(t.exitStatus == 128 + SIGINT)
    }

    @Test("y while the kill box is off screen (the terminal too small for it) kills nothing; drawn again, it waits before it arms")
    func hiddenBoxNeverConfirms() throws {
        let range = TestSupport.freeRange(count: 3)
        let (t, child) = try fixture.startWithListener(range, on: range.first)
        t.keys("x")
        #expect(t.waitFor(text: "y: kill it"))
        t.resize(width: 10, height: 3)
        #expect(t.waitFor(text: "need 40x8"))
        t.keys("y")
        t.resize(width: 120, height: 32)
        // The box is back: the y typed while it could not be seen did nothing.
        #expect(t.waitFor(text: "Kill what holds port \(range.first)?"))
        #expect(!child.hasExited, "a y typed while the box was off screen confirmed it")
        #expect(t.waitFor(text: "y: kill it"))
        t.keys("y")
        #expect(t.waitFor(text: "exited after SIGTERM"))
        #expect(child.wait() == 128 + SIGTERM)
    }

    @Test("a damaged state file under a running dashboard: stale leases kept, no release invented, reserve/release refused, recovery said once")
    func damagedStateFile() throws {
        let range = TestSupport.freeRange(count: 3)
        let t = try fixture.start(range)
        t.waitFor("the first scan") { $0.contains("scanned") }
        // On the first port: it is selected, so d needs no keys before it.
        #expect(fixture.cli(["reserve", String(range.first), "web"], range).status == 0)
        t.waitFor("the reservation") { _ in t.row(range.first).contains("ours") && t.row(range.first).contains("web") }
        let good = try #require(TestSupport.readFile(fixture.state))

        TestSupport.writeFile(fixture.state, "{\"version\": 1, \"leases\": [garbage", mode: 0o600)
        #expect(t.waitFor(text: "state file damaged since"))
        #expect(t.screen.contains("showing leases as of"))
        // Two more refreshes: still one event, still the reservation, no release.
        waitForScans(t, 2)
        #expect(t.screen.ranges(of: "state file damaged:").count == 1)
        #expect(t.row(range.first).contains("ours") && t.row(range.first).contains("web"))
        #expect(!t.screen.contains("released"))

        // Release (d) and reserve (r) are refused with a message.
        t.keys("d")
        #expect(t.waitFor(text: "release refused: the state file is damaged"))
        t.keys("r")
        #expect(t.waitFor(text: "reserve refused: the state file is damaged"))

        // The good file back: said once, leases current again.
        TestSupport.writeFile(fixture.state, String(decoding: good, as: UTF8.self), mode: 0o600)
        #expect(t.waitFor(text: "state file good again"))
        #expect(!t.screen.contains("state file damaged since"))
        #expect(t.row(range.first).contains("web"))
        #expect(!t.screen.contains("released"))
        #expect(fixture.book().lease(on: range.first)?.service == "web")
    }

    @Test("Ctrl-Z under a job-control shell: bracketed paste off while stopped, on again after fg")
    func suspendAndResume() throws {
        let range = TestSupport.freeRange(count: 3)
        // dash: job control when interactive, and no bracketed paste of its
        // own, so what the terminal sends shows as the terminal driver echoes it.
        let t = try TmuxSession(command: ["sh", "-i"], environment: ["PORTDASH_STATE": fixture.state, "PS1": "shell$ "])
        #expect(t.waitFor(text: "shell$"))
        t.type("'\(TestSupport.portdashBinary)' --range \(range.first)-\(range.last)")
        t.keys("Enter")
        #expect(t.waitFor(text: "every 1 s"))

        t.keys("C-z")
        if !t.waitFor(text: "Stopped") {
            // Which processes, in which state and process group, for a failure that could not be reproduced.
            let ps = TestSupport.runCommand(["ps", "-o", "pid,ppid,pgid,tpgid,stat,args", "-t", t.tty]).stdout
            Issue.record("Ctrl-Z did not stop the dashboard:\n\(ps)")
        }
        t.paste("typed-while-stopped")
        #expect(t.waitFor(text: "typed-while-stopped"))
        #expect(!t.screen.contains("[200~"), "bracketed paste was left on while stopped")

        t.keys("C-u")
        t.type("fg")
        t.keys("Enter")
        #expect(t.waitFor(text: "every 1 s"))
        t.paste("xq")
        #expect(t.waitFor(text: "paste ignored: no prompt open"))
        t.keys("q")
        t.waitFor("the shell again") { $0.contains("shell$ fg") && !$0.contains("every 1 s") }
        t.type("exit")
        t.keys("Enter")
        t.waitFor("the exit") { $0.contains("EXITED") }
    }

    @Test("Ctrl-Z with no job-control shell to continue it: the dashboard carries on")
    func suspendOrphaned() throws {
        let range = TestSupport.freeRange(count: 3)
        let t = try fixture.start(range)  // run by a non-interactive shell: an orphaned process group
        t.waitFor("the first scan") { $0.contains("scanned") }
        t.keys("Enter")
        #expect(t.waitFor(text: "\(range.first) details"))
        t.keys("C-z")
        // Keys still work: G (idempotent) is sent until the details follow
        // it to the last port. Input sent while the dashboard was handing the
        // terminal back and taking it again is dropped, hence the repeats.
        t.waitFor("the dashboard answering after Ctrl-Z") { screen in
            if screen.contains("\(range.last) details") { return true }
            t.keys("G")
            return false
        }
        // And pastes are bracketed again.
        t.paste("x")
        #expect(t.waitFor(text: "paste ignored: no prompt open"))
        t.keys("q")
        t.waitFor("the exit") { $0.contains("EXITED") }
        #expect(t.exitStatus == 0)
    }

    /// Waits until the header's "scanned HH:MM:SS" has changed `count` times.
    func waitForScans(_ t: TmuxSession, _ count: Int) {
        func stamp() -> String {
            let header = t.screen.split(separator: "\n").dropFirst().first.map(String.init) ?? ""
            return header.firstRange(of: "scanned ").map { String(header[$0.upperBound...].prefix(8)) } ?? ""
        }
        for _ in 0..<count {
            let before = stamp()
            t.waitFor("a new scan after \(before)") { _ in stamp() != before }
        }
    }
}
