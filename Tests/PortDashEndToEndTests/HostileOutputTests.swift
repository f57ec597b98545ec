import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// Outside text never reaches the terminal raw, usage errors are one line,
/// and the kill and run verbs keep their promises (issue 8, items 4, 7, 9).
@Suite("Hostile names and arguments (the binary)", .blocking)
struct HostileOutputTests {
    let dir = TestSupport.temporaryDirectory()
    var state: String { dir + "/state/leases.json" }
    static let evil = "\u{1B}]0;pwned\u{07}\u{1B}[2J"

    func portdash(_ args: [String], range: PortRange? = nil) -> (status: Int32, stdout: String, stderr: String) {
        var argv = [TestSupport.portdashBinary] + args
        if let range { argv.insert(contentsOf: ["--range", "\(range.first)-\(range.last)"], at: 2) }
        return TestSupport.runCommand(argv, environment: ["PORTDASH_STATE": state])
    }

    /// A `sleep` whose process name (comm) and argv[0] carry escape codes:
    /// the kernel names a process after the file it executed.
    func evilListener(on port: UInt16) throws -> ChildProcess {
        let link = dir + "/" + HostileOutputTests.evil
        #expect(symlink("/bin/sleep", link) == 0 || errno == EEXIST)
        let l = try Listener(port: port)
        defer { l.close() }
        let child = ChildProcess([link, "60"], inherit: [3: l.fd])
        #expect(waitUntil { ProcessReader().stat(child.pid)?.comm.hasPrefix("\u{1B}") == true })
        return child
    }

    func expectClean(_ text: String, _ what: String) {
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "\(what): raw control characters in \(text.debugDescription)")
    }

    @Test("a process named with escape codes: status, lease, reserve and pool exhaustion print it escaped")
    func escapedNames() throws {
        let range = TestSupport.freeRange(count: 2)
        let child = try evilListener(on: range.first)
        let status = portdash(["status"], range: range)
        expectClean(status.stdout, "status")
        #expect(status.stdout.contains("\\e]0;pwned\\x07"))
        let skipped = portdash(["lease", "web"], range: range)
        #expect(skipped.status == 0)
        expectClean(skipped.stderr, "lease")
        #expect(skipped.stderr.contains("\\e]0;pwned"))
        let reserve = portdash(["reserve", String(range.first), "db"], range: range)
        #expect(reserve.status == 69)
        expectClean(reserve.stderr, "reserve")
        let exhausted = portdash(["lease", "api"], range: PortRange(uncheckedFirst: range.first, last: range.first))
        #expect(exhausted.status == 69)
        expectClean(exhausted.stderr, "exhausted")
        #expect(exhausted.stderr.split(separator: "\n").count == 1)
        #expect(exhausted.stderr.contains("\\e[2J"))
        child.signal(SIGKILL)
    }

    @Test("the dashboard shows an escape-named process escaped, on its row and in the details")
    func dashboardEscapes() throws {
        let range = TestSupport.freeRange(count: 2)
        let child = try evilListener(on: range.first)
        let t = try TmuxSession(command: [TestSupport.portdashBinary, "--range", "\(range.first)-\(range.last)"],
                                environment: ["PORTDASH_STATE": state], width: 160, height: 32)
        // Escaped text on screen means the bytes were not obeyed by the terminal.
        #expect(t.waitFor(text: "\\e]0;pwned\\x07"))
        t.keys("Enter")
        #expect(t.waitFor(text: "\(range.first) details"))
        #expect(t.screen.contains("\\e[2J"))
        t.keys("q")
        t.waitFor("the exit") { $0.contains("EXITED") }
        child.signal(SIGKILL)
    }

    @Test("service names and paths from the command line are escaped; one line stays one line; bad names exit 64")
    func escapedArguments() {
        for args in [["release", "web\u{1B}[31m"], ["release", "web\nportdash: fake line"], ["lease", "bad name!"],
                     ["reserve", "20001", "x\u{1B}[2J"]] {
            let r = portdash(args)
            #expect(r.status == 64, "\(args)")
            expectClean(r.stderr, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        }
        let link = TestSupport.runCommand([TestSupport.portdashBinary, "leases"],
                                          environment: ["PORTDASH_STATE": dir + "/odd\u{1B}[31m/leases.json"])
        expectClean(link.stdout + link.stderr, "a path with escapes")
    }

    @Test("bad arguments anywhere: one line naming the problem and the fix, exit 64; a typo gets the nearest verb")
    func usageErrors() {
        let cases: [([String], String)] = [
            (["statu"], "did you mean 'status'?"), (["leese", "web"], "did you mean 'lease'?"),
            (["lease"], "portdash lease --help"), (["kill", "abc"], "portdash kill --help"),
            (["--frob"], "portdash --help"), (["status", "--range", "9-1"], "--range"),
            (["kill", "1", "--signal", "STOP"], "--signal"), (["\u{1B}[2J"], "unknown command"),
            (["--range", "40000-40002", "statu"], "did you mean 'status'?"), (["lease", "web", "--ttl", "-5"], "negative number"),
            (["reserve", "0", "x"], "port 0 is not a port"), (["lease", "web", "--pid", "1"], "init"),
        ]
        for (args, says) in cases {
            let r = portdash(args)
            #expect(r.status == 64, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(says), "\(args): \(r.stderr)")
            expectClean(r.stderr, "\(args)")
        }
    }

    @Test("environment settings that are set but unusable are usage errors, not silent defaults")
    func badEnvironment() {
        for (name, value) in [("PORTDASH_LOCK_TIMEOUT", "abc"), ("PORTDASH_LOCK_TIMEOUT", "-1"), ("PORTDASH_RANGE", "")] {
            let r = TestSupport.runCommand([TestSupport.portdashBinary, "leases"], environment: ["PORTDASH_STATE": state, name: value])
            #expect(r.status == 64 && r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(name), "\(name)=\(value): \(r.stderr)")
        }
    }

    @Test("kill: a port portdash's own ancestor shares with a child is refused once, before any signal (the ancestor would keep it)")
    func killLooksAgain() throws {
        let range = TestSupport.freeRange(count: 1)
        // Shared by the test runner (portdash's parent: never signalled) and a child.
        let l = try Listener(port: range.first)
        let child = ChildProcess(["sleep", "60"], inherit: [3: l.fd])
        #expect(waitUntil { ProcessReader().stat(child.pid)?.comm == "sleep" })
        let r = portdash(["kill", String(range.first), "--yes"])
        #expect(r.status == 77)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("ancestor of portdash"), "\(r.stderr)")
        #expect(!r.stderr.contains("still held") && !r.stderr.contains("exited after"), "\(r.stderr)")
        #expect(!child.hasExited)
        child.signal(SIGTERM)
        #expect(child.wait() == 128 + SIGTERM)
        l.close()
        // Once nothing holds it, kill says there is nothing to kill.
        let free = portdash(["kill", String(range.first), "--yes"])
        #expect(free.status == 69 && free.stderr.contains("nothing to kill"))
    }

    @Test("run passes on SIGUSR1 (and every terminating signal): the child gets it, the lease is released")
    func runForwardsUSR1() throws {
        let range = TestSupport.freeRange(count: 1)
        let run = ChildProcess([TestSupport.portdashBinary, "run", "web", "--range", "\(range.first)-\(range.last)", "--",
                                "sh", "-c", "trap 'exit 7' USR1; while :; do sleep 0.05; done"],
                               environment: ["PORTDASH_STATE": state])
        // Wait until the child shell has its USR1 trap (SigCgt), then signal portdash.
        #expect(waitUntil {
            guard let o = try? LeaseStore(path: state).load().lease(for: "web")?.owner, o.pid != run.pid else { return false }
            return TestSupport.signalMask(o.pid, "SigCgt", contains: SIGUSR1)
        })
        run.signal(SIGUSR1)
        #expect(run.wait() == 7)
        #expect((try? LeaseStore(path: state).load().leases.isEmpty) == true)
    }
}
