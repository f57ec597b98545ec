import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The built binary, run as a user runs it.
@Suite("portdash status (the binary)", .blocking)
struct StatusCommandTests {
    let state = TestSupport.temporaryDirectory() + "/leases.json"

    func run(_ args: [String], env: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        var e = env
        e["PORTDASH_STATE"] = e["PORTDASH_STATE"] ?? state
        return TestSupport.runCommand([TestSupport.portdashBinary] + args, environment: e)
    }

    @Test("status --json reports a real listener with its pid, and free ports as free")
    func json() throws {
        let range = TestSupport.freeRange(count: 3)
        let l = try Listener(port: range.first + 1)
        let child = ChildProcess(["sleep", "600"], inherit: [3: l.fd])
        let r = run(["status", "--json", "--range", "\(range.first)-\(range.last)"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let decoded = try JSONDecoder().decode(SnapshotJSON.self, from: Data(r.stdout.utf8))
        #expect(decoded.range?.first == range.first && decoded.range?.last == range.last)
        #expect(decoded.ports.map(\.port) == Array(range.ports))
        #expect(decoded.ports[0].state == "free" && decoded.ports[0].sockets.isEmpty)
        #expect(decoded.ports[2].state == "free")
        let busy = decoded.ports[1]
        #expect(busy.state == "foreign")
        #expect(busy.lease == nil)
        #expect(busy.sockets.first?.tcpState == "LISTEN")
        #expect(busy.sockets.first?.address == "127.0.0.1")
        #expect(busy.sockets.first?.family == "ipv4")
        #expect(busy.sockets.first?.inode == l.inode)
        #expect(Set(TestSupport.withoutPassingForks(busy.sockets.first?.owners.map(\.pid) ?? [], keep: [getpid(), child.pid])) == [getpid(), child.pid])
        let sleeper = busy.sockets.first?.owners.first { $0.pid == child.pid }
        #expect(sleeper?.name == "sleep" && sleeper?.cmdline == ["sleep", "600"])
        #expect(r.stdout.hasPrefix("{\"range\":{\"first\":\(range.first),\"last\":\(range.last)},\"ports\":[{\"port\":\(range.first),\"state\":\"free\",\"lease\":null"))
    }

    @Test("the table: one aligned row per port, no colour when piped, cut to COLUMNS")
    func table() throws {
        let range = TestSupport.freeRange(count: 2)
        let l = try Listener(port: range.last)
        let r = run(["status", "--range", "\(range.first)-\(range.last)"], env: ["COLUMNS": "80"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("PORT"))
        #expect(lines[1].hasPrefix("\(range.first)  free"))
        #expect(lines[2].contains("foreign") && lines[2].contains(String(getpid())))
        #expect(lines.allSatisfy { $0.displayWidth <= 80 })
        #expect(!r.stdout.contains("\u{1B}["))
        _ = l
    }

    @Test("bad ranges: one line, naming the fix, exit 64", arguments: ["5010-5000", "0-70000", "abc", "1000-3000", "5000-"])
    func badRange(_ range: String) {
        let r = run(["status", "--range", range])
        #expect(r.status == 64)
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("--range"))
        #expect(r.stdout.isEmpty)
    }

    @Test("a bad PORTDASH_RANGE names the variable")
    func badEnvRange() {
        let r = run(["status"], env: ["PORTDASH_RANGE": "nope"])
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("portdash: PORTDASH_RANGE"))
    }

    @Test("as another user, a root-owned listener shows uid and inode with pid hidden")
    func hiddenPid() throws {
        guard geteuid() == 0, access("/usr/bin/setpriv", X_OK) == 0 else { return }
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first)
        let r = TestSupport.runCommand(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                        TestSupport.portdashBinary, "status", "--json", "--range", "\(range.first)-\(range.last)"],
                                       environment: ["PORTDASH_STATE": "/nonexistent/leases.json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let decoded = try JSONDecoder().decode(SnapshotJSON.self, from: Data(r.stdout.utf8))
        let sock = try #require(decoded.ports[0].sockets.first)
        #expect(sock.owners.isEmpty)
        #expect(sock.uid == 0)
        #expect(sock.inode == l.inode)
        #expect(decoded.ports[0].state == "foreign")
        #expect(decoded.unreadablePids > 0)
    }
}
