import Testing
import PortKit
import PortKitTestSupport
import Glibc

/// serve's record of where it listens, and the one rule URLs follow.
@Suite struct RouterRecordTests {
    static func me() -> ProcessStamp { ProcessStamp(pid: getpid(), startTime: ProcessReader().startTime(getpid())!) }

    @Test("written whole (0600) and read back; a live serve's record gives its router, https first")
    func roundTrip() {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let state = dir + "/leases.json"
        #expect(RouterRecord.read(statePath: state) == nil && RouterAddress.current(statePath: state, environment: { _ in nil }) == nil)
        let r = RouterRecord(serve: Self.me(), http: 5099)
        guard case .success = r.write(statePath: state) else { Issue.record("write failed"); return }
        #expect(RouterRecord.read(statePath: state) == r)
        var st = stat()
        #expect(lstat(state + ".router", &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(RouterAddress.current(statePath: state, environment: { _ in nil }) == RouterAddress(port: 5099))
        _ = RouterRecord(serve: Self.me(), http: 5099, https: 443).write(statePath: state)
        #expect(RouterAddress.current(statePath: state, environment: { _ in nil }) == RouterAddress(port: 443, tls: true))
        // PORTDASH_ROUTER_PORT wins, over plain HTTP.
        #expect(RouterAddress.current(statePath: state, environment: { $0 == "PORTDASH_ROUTER_PORT" ? "8080" : nil }) == RouterAddress(port: 8080))
        #expect(RouterAddress.current(statePath: state, environment: { $0 == "PORTDASH_ROUTER_PORT" ? "0" : nil }) == RouterAddress(port: 443, tls: true))
    }

    @Test("a record whose serve is gone (another start time, a pid that is not running) names no router")
    func dead() {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let state = dir + "/leases.json"
        var stale = Self.me()
        stale.startTime += 1  // the pid reused by someone else
        _ = RouterRecord(serve: stale, http: 5099).write(statePath: state)
        #expect(RouterRecord.read(statePath: state) != nil && RouterRecord.live(statePath: state) == nil)
        #expect(RouterAddress.current(statePath: state, environment: { _ in nil }) == nil)
        // remove only takes its own record.
        RouterRecord.remove(statePath: state, ifFrom: Self.me())
        #expect(RouterRecord.read(statePath: state) != nil)
        RouterRecord.remove(statePath: state, ifFrom: stale)
        #expect(access(state + ".router", F_OK) != 0)
    }

    @Test("damaged, oversized, behind a link or not JSON: ignored (nil), never trusted or an error")
    func damaged() {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let state = dir + "/leases.json"
        let me = Self.me()
        for text in ["{\"pid\":\(me.pid),\"startTime\":\(me.startTime),\"http\":5099", "not json", "{\"pid\":\(me.pid)}",
                     "{\"pid\":\(me.pid),\"startTime\":\(me.startTime),\"http\":70000}",
                     "{\"pid\":\(me.pid),\"startTime\":\(me.startTime),\"http\":5099," + String(repeating: " ", count: 5000) + "\"https\":null}"] {
            TestSupport.writeFile(state + ".router", text, mode: 0o600)
            let read = RouterRecord.read(statePath: state)
            #expect(read == nil || read?.http == nil, "\(text.prefix(60))")
        }
        unlink(state + ".router")
        TestSupport.writeFile(dir + "/elsewhere", "{\"pid\":\(me.pid),\"startTime\":\(me.startTime),\"http\":5099,\"https\":null}", mode: 0o600)
        symlink(dir + "/elsewhere", state + ".router")
        #expect(RouterRecord.read(statePath: state) == nil)
    }
}
