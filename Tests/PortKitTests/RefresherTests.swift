import Testing
import PortKitTestSupport
@testable import PortKit

/// The one refresh path on a real state file and a real range: what it
/// reports while the file is damaged.
@Suite("Refresher and a damaged state file")
struct RefresherTests {
    @Test("damaged: the last good leases, unchanged, with when they were read; good again: no damage")
    func keepsLastGood() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let range = TestSupport.freeRange(count: 3)
        let store = LeaseStore(path: dir + "/leases.json")
        _ = try store.update { (book: inout LeaseBook) throws(PortKitError) in
            try LeasePool(range: range).reserve(range.last, for: "web", in: &book, env: SystemLeaseEnvironment(range: range))
        }
        let good = try #require(TestSupport.readFile(store.path))
        let refresher = Refresher.live(store: store)

        let first = try refresher.refresh(.pool(range))
        #expect(first.snapshot.report(range.last)?.lease?.service == "web")
        #expect(first.damage == nil)

        TestSupport.writeFile(store.path, "not json", mode: 0o600)
        let damaged = try refresher.refresh(.pool(range))
        #expect(damaged.snapshot.report(range.last)?.lease?.service == "web")
        let d = try #require(damaged.damage)
        #expect(d.problem.contains(store.path) && d.error.exitCode == 65)
        #expect(d.leasesAsOf != nil && d.leasesAsOf! <= d.since)
        let again = try refresher.refresh(.pool(range))
        #expect(again.damage?.since == d.since)  // the same damage, not a new one each refresh

        TestSupport.writeFile(store.path, String(decoding: good, as: UTF8.self), mode: 0o600)
        let fixed = try refresher.refresh(.pool(range))
        #expect(fixed.damage == nil)
        #expect(fixed.snapshot.report(range.last)?.lease?.service == "web")
    }

    @Test("damaged from the start: no leases to show, and it says none were ever read")
    func damagedFromStart() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let range = TestSupport.freeRange(count: 2)
        let store = LeaseStore(path: dir + "/leases.json")
        TestSupport.writeFile(store.path, "[", mode: 0o600)
        let r = try Refresher.live(store: store).refresh(.pool(range))
        #expect(r.damage?.leasesAsOf == nil)
        #expect(r.snapshot.ports.allSatisfy { $0.lease == nil })
    }

    @Test("a fixture /proc through the same path: scopes pool, ports and listeners")
    func fixtureScopes() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let refresher = Refresher.live(store: LeaseStore(path: dir + "/leases.json"), root: ProcRoot(path: fixtureProc),
                                       probe: FakeProbe(inUse: [5000, 5001, 5002]))
        let pool = try refresher.refresh(.pool(PortRange(uncheckedFirst: 5000, last: 5002)))
        #expect(pool.snapshot.ports.map(\.port) == [5000, 5001, 5002])
        #expect(pool.snapshot.report(5000)?.owners.map(\.pid) == [100])
        let some = try refresher.refresh(.ports([5006, 5000]))
        #expect(some.snapshot.range == nil && some.snapshot.ports.map(\.port) == [5000, 5006])
        let all = try refresher.refresh(.listeners(within: nil, uid: nil, namespaces: false))
        // Every LISTEN row of the fixture's tables, the ssh one on 22 among them.
        #expect(all.snapshot.ports.map(\.port).contains(22))
        #expect(all.snapshot.ports.allSatisfy { $0.sockets.allSatisfy { $0.socket.state == .listen } })
    }
}
