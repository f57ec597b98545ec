import Testing
import PortKitTestSupport
import PortKit
import Glibc

@Suite("portdash kill (the binary)", .blocking)
struct KillCommandTests {
    @Test("--yes stops the listener's process with SIGTERM and says so")
    func killYes() throws {
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first)
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "kill", String(range.first), "--yes"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("will send SIGTERM to \(child.pid) sleep"))
        #expect(r.stderr.contains("exited after SIGTERM"))
        #expect(child.wait() == 128 + SIGTERM)
    }

    @Test("without a terminal and without --yes nothing is signalled, exit 77")
    func noConfirmation() throws {
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first)
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
        // Refused once, before anything: no signal promised, no look again naming the same pid.
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!r.stderr.contains("will send") && !r.stderr.contains("still held"), "\(r.stderr)")
        #expect(r.stderr.contains("port \(range.first) stays held by it, so nothing was signalled"), "\(r.stderr)")
        let dry = TestSupport.runCommand([TestSupport.portdashBinary, "kill", String(range.first), "--dry-run"])
        #expect(dry.status == 77 && dry.stderr.split(separator: "\n").count == 1 && !dry.stderr.contains("would send"), "\(dry.stderr)")
        _ = l
    }

    @Test("kill of a port a running `portdash run` holds names the service and the run (pid), then kills")
    func killRunService() throws {
        let range = TestSupport.freeRange(count: 2)
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let env = ["PORTDASH_STATE": dir + "/leases.json", "PORTDASH_RANGE": "\(range.first)-\(range.last)"]
        let run = ChildProcess([TestSupport.portdashBinary, "run", "api", "--", "python3", "-m", "http.server", "{port}", "--bind", "127.0.0.1"],
                               environment: env, outputFile: dir + "/run.log")
        defer { run.signal(SIGKILL); _ = run.wait() }
        let port = range.first
        #expect(waitUntil { TestSupport.runCommand([TestSupport.portdashBinary, "wait", String(port), "--timeout", "1"], environment: env).status == 0 })
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "kill", String(port), "--yes"], environment: env)
        #expect(r.stderr.contains("portdash: port \(port) is api, run by portdash run (pid \(run.pid)); killing it ends that run and releases the lease"), "\(r.stderr)")
        #expect(r.status == 0 && r.stderr.contains("exited after SIGTERM"), "\(r.stderr)")
        #expect(run.wait() == 128 + SIGTERM)
    }

    @Test("as another user, a root process's port is reported hidden, not attempted")
    func otherUser() throws {
        guard geteuid() == 0, access("/usr/bin/setpriv", X_OK) == 0 else { return }
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first)
        let r = TestSupport.runCommand(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                        TestSupport.portdashBinary, "kill", String(range.first), "--yes"],
                                       environment: ["PORTDASH_STATE": "/nonexistent/x.json"])
        #expect(r.status == 77)
        #expect(r.stderr.contains("pid hidden"))
        #expect(!child.hasExited)
    }
}
