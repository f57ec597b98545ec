import Testing
import PortKitTestSupport
import PortKit
import PortProject
import Glibc

/// Restart requests to a `portdash up` that does not answer (stopped,
/// wedged): the dashboard never waits for one, and a request that up reads
/// late still stops the service gently (TERM, the grace period, then KILL).
@Suite("control requests to an up that does not answer", .serialized)
struct ControlRequestTests {
    /// A stand-in for `up`: listens on the service's port and on the
    /// checkout's control socket, writes each request it reads to
    /// DIR/requestN; the first is answered once DIR/answer exists, every
    /// later one never.
    static let fakeUp = """
        import os, socket, sys, time
        port, path, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
        tcp = socket.socket()
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", port))
        tcp.listen()
        control = socket.socket(socket.AF_UNIX)
        control.bind(path)
        control.listen()
        open(out + "/ready", "w").close()
        held, n = [], 0
        while True:
            c, _ = control.accept()
            n += 1
            line = b""
            while not line.endswith(b"\\n"):
                b = c.recv(100)
                if not b: break
                line += b
            with open(out + "/request%d" % n, "w") as f: f.write(line.decode())
            if n == 1:
                while not os.path.exists(out + "/answer"): time.sleep(0.05)
                try: c.sendall(b"ok: restarting api\\n")
                except OSError: pass
                c.close()
            else:
                held.append(c)

        """

    @Test("R while the up does not answer: the dashboard keeps answering keys (help opens), shows the late answer, and says when none came")
    func dashboardNeverWaits() throws {
        let f = ProjectFixture(ports: 2)
        let port = f.range.first
        let controlDir = f.dir + "/run/portdash"
        mkdir(controlDir, 0o700)
        // The dashboard asks the socket of the lease's project root, as portdash restart does.
        let socketPath = ControlPath.socket(for: f.dir, in: controlDir)
        f.write("fake-up.py", ControlRequestTests.fakeUp)
        let fake = ChildProcess(["python3", f.dir + "/fake-up.py", String(port), socketPath, f.dir], outputFile: f.dir + "/fake.log")
        defer { fake.signal(SIGKILL); _ = fake.wait() }
        #expect(waitUntil(seconds: 60) { access(f.dir + "/ready", F_OK) == 0 }, "the fake up never started")
        // The port is leased to api of this checkout, run by the fake (its
        // owner and its supervisor): the lease a running up writes.
        let start = try #require(ProcessReader().startTime(fake.pid))
        let stamp = ProcessStamp(pid: fake.pid, startTime: start)
        _ = try LeaseStore(path: f.state).update { (book: inout LeaseBook) throws(PortKitError) in
            book.leases.append(Lease(service: "api", port: port, kind: .lease, granted: Int64(time(nil)),
                                     owner: LeaseOwner(pid: fake.pid, startTime: start, supervisor: stamp),
                                     project: LeaseProject(root: f.dir, name: "shop@main")))
        }
        let t = try TmuxSession(command: [TestSupport.portdashBinary, "--range", "\(f.range.first)-\(f.range.last)"], environment: f.environment)
        t.waitFor("api's row") { _ in t.row(port).contains("ours") && t.row(port).contains("api") }

        t.keys("R")
        #expect(waitUntil(seconds: 60) { TestSupport.readFile(f.dir + "/request1").map { String(decoding: $0, as: UTF8.self) } == "restart api\n" })
        // The request is open and unanswered: keys still work.
        t.keys("?")
        #expect(t.waitFor(text: "portdash keys"))
        TestSupport.writeFile(f.dir + "/answer", "")
        t.keys("Escape")
        #expect(t.waitFor(text: "ok: restarting api"))

        // An up that never answers: said once the request gives up.
        t.keys("R")
        #expect(waitUntil(seconds: 60) { access(f.dir + "/request2", F_OK) == 0 })
        t.keys("?")
        #expect(t.waitFor(text: "portdash keys"))
        t.keys("Escape")
        #expect(t.waitFor(text: "did not answer", seconds: 60))
        t.keys("q")
        #expect(waitUntil(seconds: 30) { t.exitStatus != nil })
        #expect(t.exitStatus == 0)
    }

    @Test("a restart that up reads late (it was stopped longer than the request waits) still gives TERM its grace period before KILL")
    func lateRestartKeepsGrace() throws {
        let f = ProjectFixture(ports: 2)
        f.write("server.py", ProjectFixture.server)
        // TERM reaches the whole group: the server ends, the shell's trap
        // says so, takes a moment, and exits on its own.
        f.write("portdash.toml", """
            [services.api]
            command = "trap 'echo got TERM; sleep 0.5; echo clean exit after TERM; exit 0' TERM; python3 server.py & wait"

            """)
        let up = f.up(["--grace", "5"])
        defer { if !up.child.hasExited { up.interrupt() }; _ = up.wait() }
        #expect(up.waitFor("api is ready: listening on port \(f.range.first)"))
        kill(up.child.pid, SIGSTOP)
        var continued = false
        defer { if !continued { kill(up.child.pid, SIGCONT) } }
        // Longer than the grace period: the request gives up unanswered.
        let r = f.portdash(["restart", "api"])
        #expect(r.status == 69 && r.stderr.contains("did not answer"), "\(r.stderr)")
        kill(up.child.pid, SIGCONT)
        continued = true
        #expect(up.waitFor("clean exit after TERM"))
        #expect(waitUntil(seconds: 60) { up.log.ranges(of: "api is ready: listening on port \(f.range.first)").count == 2 }, "\(up.log)")
        #expect(up.log.contains("got TERM"))
        #expect(!up.log.contains("sending KILL"), "\(up.log)")
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
    }
}
