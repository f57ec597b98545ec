import Testing
import PortKitTestSupport
@testable import PortKit
import Glibc

@Suite("State file")
struct LeaseStoreTests {
    let dir = TestSupport.temporaryDirectory()
    var path: String { dir + "/state/leases.json" }

    @Test("an absent file is an empty book; an update creates dir 0700 and file 0600")
    func createsPrivately() throws {
        let store = LeaseStore(path: path)
        #expect(try store.load() == LeaseBook())
        try store.update { (book: inout LeaseBook) throws(PortKitError) in
            book.leases.append(Lease(service: "web", port: 5000, kind: .lease, granted: 1, expires: 2, ttl: 1))
        }
        var st = stat()
        stat(dir + "/state", &st)
        #expect(st.st_mode & 0o777 == 0o700)
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        #expect(try store.load().leases.map(\.service) == ["web"])
        // A round trip keeps everything.
        let raw = try #require(TestSupport.readFile(path))
        #expect(try LeaseBook.decode(raw) == store.load())
    }

    @Test("an update that changes nothing does not write")
    func noChangeNoWrite() throws {
        let store = LeaseStore(path: path)
        try store.update { (book: inout LeaseBook) throws(PortKitError) in book.lastUsed["a"] = 5000 }
        var before = stat(); stat(path, &before)
        try store.update { (_: inout LeaseBook) throws(PortKitError) in }
        var after = stat(); stat(path, &after)
        #expect(before.st_ino == after.st_ino)
    }

    struct BadFile: Sendable, CustomStringConvertible {
        let name: String
        let content: String
        let says: String
        var description: String { name }
    }

    static let badFiles: [BadFile] = [
        BadFile(name: "empty", content: "", says: "is empty"),
        BadFile(name: "white space", content: "  \n", says: "only white space"),
        BadFile(name: "truncated", content: "{\"version\": 1, \"leases\": [{\"service\": \"web\", \"po", says: "not valid JSON"),
        BadFile(name: "not JSON", content: "hello world\n", says: "not valid JSON"),
        BadFile(name: "a JSON array", content: "[1, 2]", says: "the wrong type"),
        BadFile(name: "no version", content: "{\"leases\": []}", says: "no \"version\""),
        BadFile(name: "port of the wrong type", content: "{\"version\": 1, \"leases\": [{\"service\": \"web\", \"port\": \"5000\", \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "leases[0].port"),
        BadFile(name: "port above 65535", content: "{\"version\": 1, \"leases\": [{\"service\": \"web\", \"port\": 70000, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "leases[0].port"),
        BadFile(name: "port 0", content: "{\"version\": 1, \"leases\": [{\"service\": \"web\", \"port\": 0, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "port 0"),
        BadFile(name: "negative port", content: "{\"version\": 1, \"leases\": [{\"service\": \"web\", \"port\": -1, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "leases[0].port"),
        BadFile(name: "duplicate ports", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1}, {\"service\": \"b\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "port 5000 is leased twice"),
        BadFile(name: "duplicate services", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1}, {\"service\": \"a\", \"port\": 5001, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "two leases"),
        BadFile(name: "unknown kind", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"forever\", \"granted\": 1}], \"lastUsed\": {}}", says: "leases[0].kind"),
        BadFile(name: "terminal escape in a name", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\\u001b[2J\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "may only use"),
        BadFile(name: "missing field", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "leases[0].port is missing"),
        BadFile(name: "null leases", content: "{\"version\": 1, \"leases\": null, \"lastUsed\": {}}", says: "leases"),
        BadFile(name: "negative pid", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1, \"owner\": {\"pid\": -5, \"startTime\": 1}}], \"lastUsed\": {}}", says: "owner pid -5"),
        BadFile(name: "huge ttl", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1, \"ttl\": 9223372036854775807}], \"lastUsed\": {}}", says: "ttl 9223372036854775807"),
        BadFile(name: "negative expiry", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1, \"expires\": -9223372036854775808}], \"lastUsed\": {}}", says: "expires"),
        BadFile(name: "deep nesting", content: String(repeating: "[", count: 100_000), says: "nests deeper than 512 levels"),
        // Numbers and keys are named as what they are, never as "not valid JSON".
        BadFile(name: "pid of 2^31", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1, \"owner\": {\"pid\": 2147483648, \"startTime\": 1}}], \"lastUsed\": {}}", says: "leases[0].owner.pid: 2147483648 is out of range"),
        BadFile(name: "version 1.5", content: "{\"version\": 1.5, \"leases\": [], \"lastUsed\": {}}", says: "version: 1.5 is not a whole number"),
        BadFile(name: "a number out of every range", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1e400}], \"lastUsed\": {}}", says: "leases[0].granted: 1e400 is out of range"),
        BadFile(name: "an integer beyond 64 bits", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1, \"ttl\": 99999999999999999999}], \"lastUsed\": {}}", says: "leases[0].ttl: 99999999999999999999 is out of range"),
        BadFile(name: "a duplicate key at the top level", content: "{\"version\": 1, \"leases\": [], \"lastUsed\": {}, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1}]}", says: "the key \"leases\" twice at the top level"),
        BadFile(name: "a duplicate key in a lease", content: "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"port\": 5001, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {}}", says: "the key \"port\" twice in leases[0]"),
        BadFile(name: "trailing garbage", content: "{\"version\": 1, \"leases\": [], \"lastUsed\": {}} x", says: "after the JSON object"),
    ]

    @Test("a bad file: a one-line error naming it and the problem, and its bytes untouched", arguments: badFiles)
    func badFile(_ bad: BadFile) throws {
        TestSupport.writeFile(dir + "/x.json", bad.content, mode: 0o600)
        let store = LeaseStore(path: dir + "/x.json")
        #expect { try store.load() } throws: { error in
            let text = "\(error)"
            return (error as? PortKitError)?.exitCode == 65 && text.contains(dir + "/x.json") && text.contains(bad.says)
                && !text.contains("\n")
        }
        // A write attempt fails the same way and changes nothing.
        #expect(throws: PortKitError.self) {
            try store.update { (book: inout LeaseBook) throws(PortKitError) in book.lastUsed["z"] = 1 }
        }
        #expect(TestSupport.readFile(dir + "/x.json") == Array(bad.content.utf8))
    }

    @Test("the biggest book this version can write (every port leased under a 64-character name) is read back whole")
    func biggestBook() throws {
        var book = LeaseBook()
        let pad = String(repeating: "x", count: 58)
        for port in 1...65535 {
            let name = "s" + String(port).leftPadded(to: 5) + pad
            book.leases.append(Lease(service: name, port: UInt16(port), kind: .lease, granted: LeaseBook.maxTime,
                                     expires: LeaseBook.maxTime, owner: LeaseOwner(pid: .max, startTime: UInt64(Int64.max)),
                                     ttl: LeaseBook.maxTTL))
        }
        for i in 0..<1000 { book.lastUsed["u" + String(i).leftPadded(to: 5) + pad] = 65535 }
        let store = LeaseStore(path: path)
        try store.update { (b: inout LeaseBook) throws(PortKitError) in b = book }
        let back = try store.load()
        #expect(back.leases.count == 65535 && back.lastUsed.count == 1000)
        var st = stat()
        stat(path, &st)
        print("the biggest book: \(st.st_size) bytes")
    }

    @Test("lastUsed keeps the 1,000 most recently used names: the least recently used is forgotten first")
    func lastUsedBounded() throws {
        var book = LeaseBook()
        for i in 0..<1000 { book.lastUsed["s\(i)"] = UInt16(1000 + i) }
        book.lastUsed["s0"] = 1000      // used again: now the most recent
        book.lastUsed["new"] = 5000     // one name too many: s1 goes
        #expect(book.lastUsed.count == 1000)
        #expect(book.lastUsed["s1"] == nil && book.lastUsed["s0"] == 1000 && book.lastUsed["new"] == 5000)
        // The order of use survives the file.
        var again = try LeaseBook.decode(book.encoded())
        again.lastUsed["newer"] = 5001
        #expect(again.lastUsed.count == 1000)
        #expect(again.lastUsed["s2"] == nil && again.lastUsed["s0"] == 1000 && again.lastUsed["s3"] == 1003)
    }

    @Test("binds survives the file; a binds that is no port makes the file damaged, never read in part")
    func bindsField() throws {
        var book = LeaseBook()
        var l = Lease(service: "web", port: 5003, kind: .lease, granted: 1)
        l.binds = 3000
        book.leases = [l]
        let again = try LeaseBook.decode(book.encoded())
        #expect(again.leases.first?.binds == 3000 && again.leases.first?.labelWithBinds == "web binds 3000")
        for bad in ["0", "70000", "\"3000\""] {
            let text = "{\"version\": 2, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1, \"binds\": \(bad)}], \"lastUsed\": []}"
            #expect(throws: LeaseBookProblem.self) { try LeaseBook.decode(Array(text.utf8)) }
        }
    }

    @Test("unknown fields survive decode and encode, numbers as written")
    func unknownFields() throws {
        let text = "{\"version\": 2, \"future\": [1.50, 123456789012345678901234], \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1, \"hint\": {\"x\": \"\\u001b\"}}], \"lastUsed\": []}"
        let book = try LeaseBook.decode(Array(text.utf8))
        let out = String(decoding: book.encoded(), as: UTF8.self)
        #expect(out.contains("\"future\"") && out.contains("1.50") && out.contains("123456789012345678901234"))
        #expect(out.contains("\"hint\"") && out.contains("\\u001b"))
        #expect(try LeaseBook.decode(book.encoded()) == book)
        // Nesting is not a reason to refuse a valid file: 500 levels are read (and kept).
        let deep = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        let nested = try LeaseBook.decode(Array("{\"version\": 2, \"leases\": [], \"lastUsed\": [], \"x\": \(deep)}".utf8))
        let inner = String(repeating: "[", count: 499) + String(repeating: "]", count: 499)
        #expect(String(decoding: nested.encoded(), as: UTF8.self).contains(inner))
        #expect(try LeaseBook.decode(nested.encoded()) == nested)
    }

    @Test("a directory, a symlink, another user's file: refused, nothing touched")
    func hostilePaths() throws {
        mkdir(dir + "/adir", 0o700)
        #expect { try LeaseStore(path: dir + "/adir").load() } throws: { "\($0)".contains("is a directory") }
        TestSupport.writeFile(dir + "/target", "precious", mode: 0o600)
        symlink(dir + "/target", dir + "/link.json")
        let linked = LeaseStore(path: dir + "/link.json")
        #expect { try linked.load() } throws: { "\($0)".contains("symbolic link") }
        #expect(throws: PortKitError.self) {
            try linked.update { (book: inout LeaseBook) throws(PortKitError) in book.lastUsed["z"] = 1 }
        }
        #expect(TestSupport.readFile(dir + "/target") == Array("precious".utf8))
        if geteuid() == 0 {
            let good = LeaseBook().encoded()
            TestSupport.writeFile(dir + "/theirs.json", String(decoding: good, as: UTF8.self), mode: 0o600)
            chown(dir + "/theirs.json", 65534, 65534)
            #expect { try LeaseStore(path: dir + "/theirs.json").load() } throws: { "\($0)".contains("belongs to uid 65534") }
        }
    }

    @Test("repair keeps the bad file and starts empty; only on request")
    func repair() throws {
        TestSupport.writeFile(dir + "/r.json", "{oops", mode: 0o600)
        let store = LeaseStore(path: dir + "/r.json")
        let backup = try #require(try store.repair(now: 42))
        #expect(backup == dir + "/r.json.bad-42")
        #expect(TestSupport.readFile(backup) == Array("{oops".utf8))
        #expect(try store.load() == LeaseBook())
        #expect(try store.repair() == nil)  // nothing left to repair
        // A second repair in the same second keeps both backups.
        TestSupport.writeFile(dir + "/r.json", "{again", mode: 0o600)
        let second = try #require(try store.repair(now: 42))
        #expect(second == dir + "/r.json.bad-42-1")
        #expect(TestSupport.readFile(backup) == Array("{oops".utf8))
        // A symlink is not "repaired" away.
        symlink(dir + "/r.json", dir + "/l.json")
        #expect(throws: PortKitError.self) { try LeaseStore(path: dir + "/l.json").repair() }
    }

    @Test("a newer version's file is not damage: load says a newer portdash wrote it (exit 65, no repair advice); repair leaves it in place")
    func newerVersion() throws {
        let text = "{\"version\": 3, \"leases\": [], \"lastUsed\": [], \"future\": true}"
        TestSupport.writeFile(dir + "/n.json", text, mode: 0o600)
        let store = LeaseStore(path: dir + "/n.json")
        #expect(throws: PortKitError.newerStateFile(path: dir + "/n.json", version: 3)) { try store.load() }
        let message = PortKitError.newerStateFile(path: dir + "/n.json", version: 3)
        #expect(message.exitCode == 65 && message.description.contains("nothing was changed") && !message.description.contains("repair"))
        #expect(throws: PortKitError.newerStateFile(path: dir + "/n.json", version: 3)) { try store.repair(now: 7) }
        #expect(TestSupport.readFile(dir + "/n.json") == Array(text.utf8))
        #expect(access(dir + "/n.json.bad-7", F_OK) != 0)
    }

    @Test("a held lock makes a writer give up after its timeout, with a clear message")
    func lockTimeout() throws {
        let store = LeaseStore(path: path, lockTimeout: 0.3)
        try store.ensureDirectory()
        let fd = open(store.lockPath, O_RDWR | O_CREAT, 0o600)
        defer { close(fd) }
        // flock locks belong to the open file description: a second open()
        // in this process contends just like another process would.
        #expect(flock(fd, LOCK_EX) == 0)
        let start = monotonicSeconds()
        #expect { try store.update { (book: inout LeaseBook) throws(PortKitError) in book.lastUsed["a"] = 1 } } throws: {
            ($0 as? PortKitError)?.exitCode == 75 && "\($0)".contains("still held")
        }
        #expect(monotonicSeconds() - start >= 0.3)
    }

    @Test("state path: --state, then PORTDASH_STATE, then XDG_STATE_HOME (absolute only), then ~/.local/state")
    func statePath() throws {
        let env: [String: String] = ["HOME": "/home/ann", "XDG_STATE_HOME": "/xdg", "PORTDASH_STATE": "/p.json"]
        #expect(try StatePath.resolve(explicit: "/x.json", environment: { env[$0] }) == "/x.json")
        #expect(try StatePath.resolve(explicit: nil, environment: { env[$0] }) == "/p.json")
        #expect(try StatePath.resolve(explicit: nil, environment: { $0 == "PORTDASH_STATE" ? nil : env[$0] }) == "/xdg/portdash/leases.json")
        #expect(try StatePath.resolve(explicit: nil, environment: { $0 == "HOME" ? "/home/ann" : ($0 == "XDG_STATE_HOME" ? "relative" : nil) })
                == "/home/ann/.local/state/portdash/leases.json")
    }

    @Test("state path: empty values are usage errors, relative ones are taken from the current directory")
    func statePathMistakes() throws {
        let cwd = { () -> String? in "/work/here" }
        for (explicit, variable, says) in [("", nil, "--state is empty"), (nil, "", "unset PORTDASH_STATE"),
                                           ("dir/", nil, "names a directory"), ("..", nil, "names a directory")] {
            #expect { try StatePath.resolve(explicit: explicit, environment: { $0 == "PORTDASH_STATE" ? variable : nil }, currentDirectory: cwd) } throws: {
                ($0 as? PortKitError)?.exitCode == 64 && "\($0)".contains(says)
            }
        }
        #expect(try StatePath.resolve(explicit: "./s/leases.json", environment: { _ in nil }, currentDirectory: cwd) == "/work/here/s/leases.json")
        #expect(try StatePath.resolve(explicit: nil, environment: { $0 == "PORTDASH_STATE" ? "l.json" : nil }, currentDirectory: cwd) == "/work/here/l.json")
        #expect { try StatePath.resolve(explicit: "l.json", environment: { _ in nil }, currentDirectory: { nil }) } throws: {
            "\($0)".contains("current directory cannot be read")
        }
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

@Suite("project leases in the book")
struct ProjectLeaseBookTests {
    @Test("keys: the same service in two projects and by name alone are three leases; each remembers its own port")
    func keys() throws {
        var book = LeaseBook()
        let a = LeaseProject(root: "/src/shop", name: "shop@main"), b = LeaseProject(root: "/src/shop-2", name: "shop-2@x")
        book.leases = [Lease(service: "web", port: 5000, kind: .lease, granted: 1),
                       Lease(service: "web", port: 5001, kind: .lease, granted: 1, project: a),
                       Lease(service: "web", port: 5002, kind: .lease, granted: 1, project: b)]
        var debug = b
        debug.portName = "debug"
        book.leases.append(Lease(service: "web", port: 5003, kind: .lease, granted: 1, project: debug))
        try book.validate()
        #expect(book.leases.map(\.label) == ["web", "web · shop@main", "web · shop-2@x", "web.debug · shop-2@x"])
        book.lastUsed[LeaseKey(service: "web", project: "/src/shop")] = 5001
        book.lastUsed["web"] = 5000
        let again = try LeaseBook.decode(book.encoded())
        #expect(again == book)
        #expect(again.lease(for: LeaseKey(service: "web", project: "/src/shop-2", portName: "debug"))?.port == 5003)
        #expect(again.lastUsed[LeaseKey(service: "web", project: "/src/shop")] == 5001 && again.lastUsed["web"] == 5000)
        book.leases.append(Lease(service: "web", port: 5004, kind: .lease, granted: 1, project: a))
        #expect(throws: LeaseBookProblem.self) { try book.validate() }
    }

    @Test("version 1 is read, with lastUsed as an object of names; written as version 2 with lastUsed as entries")
    func versionOne() throws {
        let v1 = "{\"version\": 1, \"leases\": [{\"service\": \"a\", \"port\": 5000, \"kind\": \"lease\", \"granted\": 1}], \"lastUsed\": {\"a\": 5000, \"b\": 5001}}"
        let book = try LeaseBook.decode(Array(v1.utf8))
        #expect(book.version == 1 && book.lastUsed["b"] == 5001)
        let text = String(decoding: book.encoded(), as: UTF8.self)
        #expect(text.contains("\"version\": 2") && text.contains("{\"service\": \"b\", \"port\": 5001}"))
        #expect(throws: LeaseBookProblem.self) { try LeaseBook.decode(Array("{\"version\": 2, \"leases\": [], \"lastUsed\": {}}".utf8)) }
    }
}
