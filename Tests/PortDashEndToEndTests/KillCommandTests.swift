import Testing
import PortKitTestSupport
import PortKit
import Glibc

@Suite("portdash kill (the binary)")
struct KillCommandTests {
    @Test("--yes stops the listener's process with SIGTERM and says so")
    func killYes() throws {
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first, seconds: 30)
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "kill", String(range.first), "--yes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("will send SIGTERM to \(child.pid) sleep"))
        #expect(r.stderr.contains("exited after SIGTERM"))
        #expect(child.wait() == 128 + SIGTERM)
    }

    @Test("without a terminal and without --yes nothing is signalled, exit 77")
    func noConfirmation() throws {
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first, seconds: 30)
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "kill", String(range.first)])
        #expect(r.status == 77)
        #expect(r.stderr.contains("pass --yes"))
        #expect(!child.hasExited)
    }

    @Test("a free port: nothing to kill; bad options: one line, exit 64")
    func nothing() {
        let range = TestSupport.freeRange(count: 1)
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "kill", String(range.first), "--yes"])
        #expect(r.status == 69 && r.stderr.contains("nothing to kill"))
        let bad = TestSupport.runCommand([TestSupport.portdashBinary, "kill", "5000", "--signal", "STOP"])
        #expect(bad.status == 64)
    }

    @Test("portdash refuses to kill its own ancestors (the test process holding the port)")
    func ancestor() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first)  // held by the test runner, portdash's parent
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "kill", String(range.first), "--yes"])
        #expect(r.status == 77)
        #expect(r.stderr.contains("ancestor of portdash"))
        _ = l
    }

    @Test("as another user, a root process's port is reported hidden, not attempted")
    func otherUser() throws {
        guard geteuid() == 0, access("/usr/bin/setpriv", X_OK) == 0 else { return }
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first, seconds: 30)
        let r = TestSupport.runCommand(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                        TestSupport.portdashBinary, "kill", String(range.first), "--yes"],
                                       environment: ["PORTDASH_STATE": "/nonexistent/x.json"])
        #expect(r.status == 77)
        #expect(r.stderr.contains("pid hidden"))
        #expect(!child.hasExited)
    }
}
