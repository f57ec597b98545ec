import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// The lease verbs from the built binary, many processes at once.
@Suite("portdash lease, release, reserve, run (the binary)", .blocking)
struct LeaseCommandTests {
    let dir = TestSupport.temporaryDirectory()
    var state: String { dir + "/state/leases.json" }

    func portdash(_ args: [String], range: PortRange, env: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        var e = env
        e["PORTDASH_STATE"] = state
        // --range right after the verb, so it never lands after `run`'s `--`.
        let argv = [TestSupport.portdashBinary, args[0], "--range", "\(range.first)-\(range.last)"] + args.dropFirst()
        return TestSupport.runCommand(argv, environment: e)
    }

    func book() throws -> LeaseBook { try LeaseStore(path: state).load() }

    @Test("50 leases asked at the same moment on 11 ports: 11 distinct grants, 39 clean failures (x3)")
    func fiftyAtOnce() throws {
        for round in 0..<3 {
            let range = TestSupport.freeRange(count: 11)
            let roundState = dir + "/round\(round)/leases.json"
            // 50 processes queue for the lock: the longest wait there is, so a loaded machine never ends one with exit 75.
            let children = (0..<50).map { i in
                ChildProcess([TestSupport.portdashBinary, "lease", "s\(i)", "--range", "\(range.first)-\(range.last)"],
                             environment: ["PORTDASH_STATE": roundState, "PORTDASH_LOCK_TIMEOUT": "600"], captureOutput: true)
            }
            let results = children.map { $0.waitForExit() }
            let granted = results.filter { $0.status == 0 }.map { UInt16($0.stdout.trimmingSuffixNewline())! }
            let failed = results.filter { $0.status != 0 }
            #expect(granted.count == 11, "round \(round)")
            #expect(Set(granted).count == 11)
            #expect(Set(granted) == Set(range.ports))
            #expect(failed.count == 39)
            #expect(failed.allSatisfy { $0.status == 69 && $0.stderr.split(separator: "\n").count == 1 && $0.stderr.contains("no free port") })
            let stored = try LeaseStore(path: roundState).load()
            #expect(stored.leases.count == 11)
            #expect(Set(stored.leases.map(\.port)) == Set(granted))
        }
    }

    @Test("kill -9 at random moments during writes: the file always parses and keeps every reported grant")
    func killDuringWrites() throws {
        let range = TestSupport.freeRange(count: 11)
        // What we know for sure: service → port after a reported success,
        // nil after a reported release; unknown after a killed call.
        var known: [String: UInt16?] = [:]
        var killed = 0, completed = 0, checks = 0
        var rng = SystemRandomNumberGenerator()
        // Kill anywhere in a window 1.5x as long as an undisturbed call, so
        // most calls are cut at some stage of their write. Every fourth call
        // runs undisturbed, and its duration resets the window, which so
        // follows the machine's load instead of one early measurement.
        var window: UInt32 = 20_000
        for round in 0..<120 {
            let undisturbed = round % 4 == 0
            let started = monotonicSeconds()
            let service = "s\(Int.random(in: 0..<8, using: &rng))"
            let releasing = round % 3 == 2
            let args = releasing ? ["release", service] : ["lease", service]
            let child = ChildProcess([TestSupport.portdashBinary] + args + ["--range", "\(range.first)-\(range.last)"],
                                     environment: ["PORTDASH_STATE": state], captureOutput: true)
            if !undisturbed {
                usleep(UInt32.random(in: 0...window, using: &rng))
                child.signal(SIGKILL)
            }
            let r = child.waitForExit()
            if undisturbed { window = UInt32(min(max((monotonicSeconds() - started) * 1.5e6, 2_000), 2_000_000)) }
            if r.status == 128 + SIGKILL {
                killed += 1
                known.removeValue(forKey: service)  // outcome unknown: forget it
            } else if r.status == 0 {
                completed += 1
                known[service] = releasing ? .some(nil) : .some(UInt16(r.stdout.trimmingSuffixNewline()))
            } else if r.status == 66 && releasing {
                completed += 1
                known[service] = .some(nil)  // there was no lease to release
            }
            // After every step the file must parse and hold every outcome we
            // were told of, including those of earlier, undisturbed calls.
            let current = try book()
            for (svc, port) in known {
                #expect(current.lease(for: svc)?.port == port, "round \(round): \(svc)")
                checks += 1
            }
        }
        let final = try book()
        for (service, port) in known {
            #expect(final.lease(for: service)?.port == port, "\(service)")
        }
        #expect(Set(final.leases.map(\.port)).count == final.leases.count)
        print("kill -9 survival: \(killed) killed, \(completed) completed, \(checks) reported outcomes re-checked, file parsed after all 120")
        #expect(killed > 5 && completed >= 30)
    }

    @Test("a real foreign listener is skipped, and stderr says who holds it")
    func foreignSkipped() throws {
        let range = TestSupport.freeRange(count: 3)
        let l = try Listener(port: range.first)
        let r = portdash(["lease", "web"], range: range)
        #expect(r.status == 0)
        #expect(r.stdout == "\(range.first + 1)\n")
        #expect(r.stderr.contains("skipped \(range.first) busy: ") && r.stderr.contains("(pid \(getpid()))"))
        _ = l
    }

    @Test("lease --preferred, release, and the last-used port coming back")
    func preferredAndLastUsed() throws {
        let range = TestSupport.freeRange(count: 4)
        #expect(portdash(["lease", "api", "--preferred", "\(range.first + 2)"], range: range).stdout == "\(range.first + 2)\n")
        #expect(portdash(["lease", "web"], range: range).stdout == "\(range.first)\n")
        #expect(portdash(["release", "api"], range: range).status == 0)
        #expect(portdash(["lease", "other"], range: range).stdout == "\(range.first + 1)\n")
        #expect(portdash(["lease", "api"], range: range).stdout == "\(range.first + 2)\n")
        let r = portdash(["release", "nobody"], range: range)
        #expect(r.status == 66 && r.stderr.contains("no lease for \"nobody\""))
        let outside = portdash(["lease", "x", "--preferred", "80"], range: range)
        #expect(outside.status == 69 && outside.stderr.contains("outside the pool"))
    }

    @Test("reserve: static, shown as ours by status, refused on a held port")
    func reserve() throws {
        let range = TestSupport.freeRange(count: 3)
        #expect(portdash(["reserve", "\(range.first + 1)", "db"], range: range).status == 0)
        let l = try Listener(port: range.last)
        let refused = portdash(["reserve", "\(range.last)", "cache"], range: range)
        #expect(refused.status == 69 && refused.stderr.contains("held by"))
        let status = portdash(["status", "--json"], range: range)
        #expect(status.stdout.contains("\"port\":\(range.first + 1),\"state\":\"ours\",\"lease\":{\"service\":\"db\",\"kind\":\"reservation\""))
        let leases = portdash(["leases"], range: range)
        #expect(leases.stdout.contains("db") && leases.stdout.contains("reserved") && leases.stdout.contains("never"))
        _ = l
    }

    @Test("status shows conflict when a stranger holds a process-bound lease's port")
    func conflict() throws {
        let range = TestSupport.freeRange(count: 2)
        let owner = ChildProcess(["sleep", "600"])
        defer { owner.signal(SIGKILL) }
        #expect(portdash(["lease", "web", "--pid", "\(owner.pid)"], range: range).stdout == "\(range.first)\n")
        let l = try Listener(port: range.first)  // we are not the owner
        let status = portdash(["status", "--json"], range: range)
        #expect(status.stdout.contains("\"port\":\(range.first),\"state\":\"conflict\""))
        owner.signal(SIGKILL)
        owner.wait()
        // Owner gone: the lease is over, the port is just foreign now.
        let after = portdash(["status", "--json"], range: range)
        #expect(after.stdout.contains("\"port\":\(range.first),\"state\":\"foreign\",\"lease\":null"))
        let leases = portdash(["leases", "--json"], range: range)
        #expect(leases.stdout.contains("\"status\":\"expired\""))
        _ = l
    }

    @Test("run: $PORT and {port} reach the child, its exit code comes back, the lease is released")
    func run() throws {
        let range = TestSupport.freeRange(count: 2)
        let r = portdash(["run", "web", "--", "sh", "-c", "echo $PORT {port}; exit 3"], range: range)
        #expect(r.status == 3)
        #expect(r.stdout == "\(range.first) \(range.first)\n")
        #expect(try book().leases.isEmpty)
        #expect(try book().lastUsed["web"] == range.first)
    }

    @Test("run: while the child runs the lease is bound to it; SIGTERM is passed on")
    func runForwardsSignals() throws {
        let range = TestSupport.freeRange(count: 2)
        let run = ChildProcess([TestSupport.portdashBinary, "run", "web", "--range", "\(range.first)-\(range.last)", "--", "sleep", "600"],
                               environment: ["PORTDASH_STATE": state])
        // The lease moves to the child at fork; wait until the child is `sleep`
        // (exec done), which on a loaded machine can be a while later.
        #expect(waitUntil {
            guard let o = try? book().lease(for: "web")?.owner, o.pid != run.pid else { return false }
            return ProcessReader().stat(o.pid)?.comm == "sleep"
        })
        let owner = try #require(try book().lease(for: "web")?.owner)
        run.signal(SIGTERM)
        #expect(run.wait() == 128 + SIGTERM)
        #expect(try book().leases.isEmpty)
        #expect(ProcessReader().stat(owner.pid) == nil || ProcessReader().stat(owner.pid)?.state == "Z")
    }

    @Test("run: a second `run` under a live name is refused; the first keeps its port")
    func runTwice() throws {
        let range = TestSupport.freeRange(count: 3)
        let first = ChildProcess([TestSupport.portdashBinary, "run", "web", "--range", "\(range.first)-\(range.last)", "--", "sleep", "600"],
                                 environment: ["PORTDASH_STATE": state])
        #expect(waitUntil { (try? book().lease(for: "web")?.owner.map { $0.pid != first.pid }) == true })
        let second = portdash(["run", "web", "--", "sh", "-c", "echo started"], range: range)
        #expect(second.status == 69)
        #expect(second.stderr.contains("leased to a running process"))
        #expect(second.stdout.isEmpty)
        #expect(try book().lease(for: "web")?.port == range.first)
        first.signal(SIGTERM)
        #expect(first.wait() == 128 + SIGTERM)
        let ttl = portdash(["lease", "x", "--ttl", "9223372036854775807"], range: range)
        #expect(ttl.status == 64 && ttl.stderr.contains("--ttl"))
    }

    @Test("run: a missing command is a clear error, exit 127, lease released")
    func runMissing() throws {
        let range = TestSupport.freeRange(count: 1)
        let r = portdash(["run", "web", "--", "/nonexistent/cmd"], range: range)
        #expect(r.status == 127 && r.stderr.contains("cannot run /nonexistent/cmd"))
        #expect(try book().leases.isEmpty)
    }

    @Test("a corrupt state file: every verb fails with one line and exit 65, the bytes stay")
    func corruptState() throws {
        let range = TestSupport.freeRange(count: 2)
        _ = portdash(["lease", "web"], range: range)
        let original = try #require(TestSupport.readFile(state))
        let corrupt = Array(original.prefix(original.count / 2))
        TestSupport.writeFile(state, String(decoding: corrupt, as: UTF8.self), mode: 0o600)
        for args in [["lease", "api"], ["release", "web"], ["reserve", "\(range.last)", "db"], ["leases"], ["status"]] {
            let r = portdash(args, range: range)
            #expect(r.status == 65, "\(args)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(state) && r.stderr.contains("portdash repair"))
            #expect(TestSupport.readFile(state) == corrupt)
        }
        let repair = portdash(["repair"], range: range)
        #expect(repair.status == 0 && repair.stderr.contains(".bad-"))
        #expect(portdash(["lease", "api"], range: range).status == 0)
    }

    @Test("directory 0700 and file 0600 even under umask 000")
    func permissions() throws {
        let range = TestSupport.freeRange(count: 1)
        let r = TestSupport.runCommand(["/bin/sh", "-c", "umask 000; exec \"$0\" lease web --range \(range.first)-\(range.last)", TestSupport.portdashBinary],
                                       environment: ["PORTDASH_STATE": state])
        #expect(r.status == 0)
        var st = stat()
        stat(state, &st); #expect(st.st_mode & 0o777 == 0o600)
        stat(dir + "/state", &st); #expect(st.st_mode & 0o777 == 0o700)
        stat(state + ".lock", &st); #expect(st.st_mode & 0o777 == 0o600)
    }
}

extension String {
    func trimmingSuffixNewline() -> String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
