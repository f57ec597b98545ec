import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// The state file against hostile surroundings: a lock file removed under
/// racing writers, oversized and trailing-garbage files, a full or read-only
/// disk, open directories, bad --state values, a newer version's fields. The
/// built binary, as a user runs it.
@Suite("State file safety (the binary)", .blocking)
struct StateFileSafetyTests {
    let dir = TestSupport.temporaryDirectory()
    var state: String { dir + "/state/leases.json" }

    func portdash(_ args: [String], range: PortRange, state: String? = nil, env: [String: String] = [:])
        -> (status: Int32, stdout: String, stderr: String) {
        var e = env
        e["PORTDASH_STATE"] = e["PORTDASH_STATE"] ?? state ?? self.state
        let argv = [TestSupport.portdashBinary, args[0], "--range", "\(range.first)-\(range.last)"] + args.dropFirst()
        return TestSupport.runCommand(argv, environment: e)
    }

    /// Every verb that touches the state file, for "nothing changed" checks.
    func everyVerb(_ range: PortRange) -> [[String]] {
        [["lease", "api"], ["release", "web"], ["reserve", "\(range.last)", "db"], ["leases"], ["status"]]
    }

    func oneLine(_ text: String) -> Bool { text.split(separator: "\n").count == 1 && text.hasSuffix("\n") }

    // MARK: a lock that holds

    @Test("lock file unlinked in a tight loop during 60-way races on 16 ports: 0 duplicate grants, 0 lost leases (x3)")
    func unlinkedLockRace() throws {
        var duplicates = 0, lost = 0, unlinks = 0, otherExits: [Int32] = []
        for round in 0..<3 {
            let range = TestSupport.freeRange(count: 16)
            let roundState = dir + "/race\(round)/leases.json"
            mkdir(dir + "/race\(round)", 0o700)
            let unlinker = Unlinker(path: roundState + ".lock")
            // The longest lock wait there is: 60 processes queue for the lock, and on a loaded machine the
            // default 10 s would end some of them with exit 75, which is not what this test is about.
            let children = (0..<60).map { i in
                ChildProcess([TestSupport.portdashBinary, "lease", "s\(i)", "--range", "\(range.first)-\(range.last)"],
                             environment: ["PORTDASH_STATE": roundState, "PORTDASH_LOCK_TIMEOUT": "600"], captureOutput: true)
            }
            let results = children.map { $0.waitForExit() }
            unlinks += unlinker.stop()
            var granted: [(service: String, port: UInt16)] = []
            for (i, r) in results.enumerated() {
                if r.status == 0, let port = UInt16(r.stdout.trimmingSuffixNewline()) { granted.append(("s\(i)", port)) }
                else if r.status != 69 { otherExits.append(r.status) }
            }
            duplicates += granted.count - Set(granted.map(\.port)).count
            let stored = try LeaseStore(path: roundState).load()
            lost += granted.filter { stored.lease(for: $0.service)?.port != $0.port }.count
            #expect(stored.leases.count == granted.count, "round \(round): the file holds exactly the granted leases")
            #expect(granted.count == 16, "round \(round): every port of the pool granted once")
        }
        print("unlinked lock file, 3 x 60 leases on 16 ports: \(duplicates) duplicate grants, \(lost) lost leases, lock file removed \(unlinks) times, other exits \(otherExits)")
        #expect(unlinks > 0)
        #expect(duplicates == 0)
        #expect(lost == 0)
        #expect(otherExits.isEmpty)
    }

    // MARK: never read in part

    @Test("a file over the 16 MiB limit: every verb refuses with size and limit, exit 65; bytes untouched, repair too")
    func oversized() throws {
        let range = TestSupport.freeRange(count: 2)
        mkdir(dir + "/state", 0o700)
        // A valid object, then white space up to the old read limit, then
        // garbage: read in part, this looked like a good file.
        var bytes = Array("{\"version\": 1, \"leases\": [], \"lastUsed\": {}}".utf8)
        bytes += [UInt8](repeating: 32, count: (16 << 20) - bytes.count)
        bytes += Array("garbage".utf8)
        TestSupport.writeBytes(state, bytes)
        let identity = TestSupport.fileIdentity(state)
        for args in everyVerb(range) + [["repair"]] {
            let r = portdash(args, range: range)
            #expect(r.status == 65, "\(args): \(r.stderr)")
            #expect(oneLine(r.stderr) && r.stderr.contains(state), "\(args): \(r.stderr)")
            #expect(r.stderr.contains("\(bytes.count) bytes") && r.stderr.contains("16 MiB"), "\(args): \(r.stderr)")
            #expect(TestSupport.fileIdentity(state) == identity, "\(args)")
        }
        #expect(TestSupport.readFile(state) == bytes)
    }

    @Test("trailing garbage after a valid object: every verb refuses, exit 65, bytes untouched")
    func trailingGarbage() throws {
        let range = TestSupport.freeRange(count: 2)
        mkdir(dir + "/state", 0o700)
        let text = "{\"version\": 1, \"leases\": [], \"lastUsed\": {}}\n{\"version\": 1}\n"
        TestSupport.writeFile(state, text, mode: 0o600)
        for args in everyVerb(range) {
            let r = portdash(args, range: range)
            #expect(r.status == 65 && oneLine(r.stderr), "\(args): \(r.stderr)")
            #expect(r.stderr.contains("after the JSON object"), "\(args): \(r.stderr)")
            #expect(TestSupport.readFile(state) == Array(text.utf8), "\(args)")
        }
    }

    // MARK: --state

    @Test("--state '' and an empty PORTDASH_STATE are usage errors (exit 64); a relative --state is made absolute")
    func statePathArguments() throws {
        let range = TestSupport.freeRange(count: 1)
        // Were the empty value ignored, the default must land here, not in the user's home.
        let home = ["HOME": dir + "/home", "XDG_STATE_HOME": dir + "/xdg"]
        let empty = TestSupport.runCommand([TestSupport.portdashBinary, "leases", "--state", ""], environment: home)
        #expect(empty.status == 64 && oneLine(empty.stderr) && empty.stderr.contains("--state"), "\(empty.stderr)")
        var env = home
        env["PORTDASH_STATE"] = ""
        let unsetIt = TestSupport.runCommand([TestSupport.portdashBinary, "leases"], environment: env)
        #expect(unsetIt.status == 64 && oneLine(unsetIt.stderr) && unsetIt.stderr.contains("unset PORTDASH_STATE"), "\(unsetIt.stderr)")
        #expect(access(dir + "/xdg", F_OK) != 0 && access(dir + "/home", F_OK) != 0)

        let lease = TestSupport.runCommand(["/bin/sh", "-c", "cd \"$1\" && exec \"$0\" lease web --range \(range.first)-\(range.last) --state rel/leases.json",
                                            TestSupport.portdashBinary, dir], environment: home)
        #expect(lease.status == 0, "\(lease.stderr)")
        #expect(try LeaseStore(path: dir + "/rel/leases.json").load().lease(for: "web") != nil)
        let listed = TestSupport.runCommand(["/bin/sh", "-c", "cd \"$1\" && exec \"$0\" leases --json --state rel/leases.json",
                                             TestSupport.portdashBinary, dir], environment: home)
        #expect(listed.stdout.contains("\"state\":\"\(dir)/rel/leases.json\""), "\(listed.stdout)")
    }

    // MARK: a full disk, a read-only file system

    @Test("a full disk: exit 73 naming the device, the file unchanged, no temporary left")
    func diskFull() throws {
        guard let fs = TmpfsMount.make(at: dir + "/small", bytes: 256 << 10, for: "a full disk") else { return }
        defer { fs.unmount() }
        let range = TestSupport.freeRange(count: 3)
        let file = fs.path + "/leases.json"
        #expect(portdash(["lease", "web"], range: range, state: file).status == 0)
        let before = TestSupport.readFile(file)
        fs.fill(fs.path + "/filler")
        let r = portdash(["lease", "api"], range: range, state: file)
        #expect(r.status == 73 && oneLine(r.stderr), "\(r.stderr)")
        #expect(r.stderr.contains("no space left on the device holding \(fs.path)"), "\(r.stderr)")
        #expect(TestSupport.readFile(file) == before)
        #expect(TestSupport.runCommand(["/bin/ls", "-A", fs.path]).stdout == "filler\nleases.json\nleases.json.lock\n")
        unlink(fs.path + "/filler")
        #expect(portdash(["lease", "api"], range: range, state: file).status == 0)
    }

    @Test("a read-only file system: writes exit 73 saying so, reads still work, the file unchanged")
    func readOnly() throws {
        guard let fs = TmpfsMount.make(at: dir + "/ro", bytes: 1 << 20, for: "a read-only file system") else { return }
        defer { fs.unmount() }
        let range = TestSupport.freeRange(count: 3)
        let file = fs.path + "/leases.json"
        #expect(portdash(["lease", "web"], range: range, state: file).status == 0)
        let before = TestSupport.readFile(file)
        guard fs.remountReadOnly(for: "a read-only file system") else { return }
        for args in [["lease", "api"], ["release", "web"], ["reserve", "\(range.last)", "db"]] {
            let r = portdash(args, range: range, state: file)
            #expect(r.status == 73 && oneLine(r.stderr), "\(args): \(r.stderr)")
            #expect(r.stderr.contains("the file system holding \(fs.path) is read-only"), "\(args): \(r.stderr)")
        }
        #expect(portdash(["leases"], range: range, state: file).status == 0)
        #expect(TestSupport.readFile(file) == before)
    }

    // MARK: strict modes

    @Test("strict modes: a 0777 or 0770 directory is refused (exit 77, mode and fix named); 1777 is fine")
    func strictModes() throws {
        let range = TestSupport.freeRange(count: 2)
        for mode: mode_t in [0o777, 0o770] {
            let open = dir + "/open\(String(mode, radix: 8))"
            mkdir(open, 0o700)
            #expect(portdash(["lease", "web"], range: range, state: open + "/leases.json").status == 0)
            let bytes = TestSupport.readFile(open + "/leases.json")
            chmod(open, mode)
            for args in everyVerb(range) + [["repair"]] {
                let r = portdash(args, range: range, state: open + "/leases.json")
                #expect(r.status == 77 && oneLine(r.stderr), "\(args): \(r.stderr)")
                #expect(r.stderr.contains(open) && r.stderr.contains("0" + String(mode, radix: 8)) && r.stderr.contains("chmod"), "\(r.stderr)")
                #expect(TestSupport.readFile(open + "/leases.json") == bytes)
            }
        }
        let fresh = dir + "/fresh"
        mkdir(fresh, 0o777); chmod(fresh, 0o777)
        #expect(portdash(["lease", "web"], range: range, state: fresh + "/leases.json").status == 77)
        #expect(access(fresh + "/leases.json", F_OK) != 0 && access(fresh + "/leases.json.lock", F_OK) != 0)

        let sticky = dir + "/sticky"
        mkdir(sticky, 0o700); chmod(sticky, 0o1777)
        let r = portdash(["lease", "web"], range: range, state: sticky + "/leases.json")
        #expect(r.status == 0, "\(r.stderr)")
        if geteuid() == 0 {
            let theirs = dir + "/theirs"
            mkdir(theirs, 0o700); chown(theirs, 65534, 65534)
            let t = portdash(["lease", "web"], range: range, state: theirs + "/leases.json")
            #expect(t.status == 77 && t.stderr.contains("belongs to uid 65534"), "\(t.stderr)")
        }
    }

    // MARK: a newer version's fields

    @Test("unknown fields (top level and in a lease) survive a rewrite, numbers exactly as written")
    func unknownFieldsSurvive() throws {
        let range = TestSupport.freeRange(count: 3)
        mkdir(dir + "/state", 0o700)
        let now = epochSeconds()
        let text = """
            {"version": 1, "pool": {"note": "from a newer portdash", "weights": [2.50, 12345678901234567890, -0.0, 1e400]},
             "leases": [{"service": "web", "port": \(range.first), "kind": "lease", "granted": \(now),
                         "expires": \(now + 3600), "ttl": 3600, "color": "blue", "tags": {"a": null, "b": [true, false]}}],
             "lastUsed": {"web": \(range.first)}}
            """
        TestSupport.writeFile(state, text, mode: 0o600)
        #expect(portdash(["lease", "api"], range: range).status == 0)
        let after = String(decoding: TestSupport.readFile(state) ?? [], as: UTF8.self)
        for piece in ["\"pool\"", "from a newer portdash", "2.50", "12345678901234567890", "-0.0", "1e400",
                      "\"color\"", "\"blue\"", "\"tags\"", "null", "true", "false"] {
            #expect(after.contains(piece), "\(piece) lost: \(after)")
        }
        #expect(try LeaseStore(path: state).load().leases.map(\.service).sorted() == ["api", "web"])
    }

    @Test("a state file of a newer version (3): every verb says a newer portdash wrote it, exit 65, no repair advice; repair refuses it too")
    func newerVersion() throws {
        let range = TestSupport.freeRange(count: 3)
        mkdir(dir + "/state", 0o700)
        let text = "{\"version\": 3, \"leases\": [{\"service\": \"web\", \"port\": \(range.first), \"shape\": \"new\"}], \"pools\": {}}\n"
        TestSupport.writeFile(state, text, mode: 0o600)
        for args in everyVerb(range) + [["repair"]] {
            let r = portdash(args, range: range)
            #expect(r.status == 65, "\(args): \(r.stderr)")
            #expect(r.stderr.contains("was written by a newer portdash (schema version 3") && r.stderr.contains("nothing was changed"), "\(args): \(r.stderr)")
            #expect(!r.stderr.contains("repair") && oneLine(r.stderr), "\(args): \(r.stderr)")
        }
        #expect(TestSupport.readFile(state) == Array(text.utf8))
        #expect(TestSupport.runCommand(["/bin/ls", "-A", dir + "/state"]).stdout.split(separator: "\n").allSatisfy { !$0.contains(".bad-") })
    }
}
