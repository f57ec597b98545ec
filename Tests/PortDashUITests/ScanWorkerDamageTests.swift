import Testing
import PortKit
import PortKitTestSupport
@testable import PortDashUI

/// The scan worker on a real state file and a real range: what it reports
/// while the file is damaged.
@Suite("Scan worker and a damaged state file")
struct ScanWorkerDamageTests {
    /// Scans once and waits for the result.
    func scan(_ worker: ScanWorker) -> (PortSnapshot, StateDamage?)? {
        worker.scan()
        var result: (PortSnapshot, StateDamage?)? = nil
        _ = waitUntil(seconds: 30) {
            for case .scanned(let snap, _, let damage) in worker.take() { result = (snap, damage) }
            return result != nil
        }
        return result
    }

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
        let worker = ScanWorker(range: range, store: store)

        let first = try #require(scan(worker))
        #expect(first.0.report(range.last)?.lease?.service == "web")
        #expect(first.1 == nil)

        TestSupport.writeFile(store.path, "not json", mode: 0o600)
        let damaged = try #require(scan(worker))
        #expect(damaged.0.report(range.last)?.lease?.service == "web")
        let d = try #require(damaged.1)
        #expect(d.problem.contains(store.path))
        #expect(d.leasesAsOf != nil && d.leasesAsOf! <= d.since)
        let again = try #require(scan(worker))
        #expect(again.1?.since == d.since)  // the same damage, not a new one each scan

        TestSupport.writeFile(store.path, String(decoding: good, as: UTF8.self), mode: 0o600)
        let fixed = try #require(scan(worker))
        #expect(fixed.1 == nil)
        #expect(fixed.0.report(range.last)?.lease?.service == "web")
    }

    @Test("damaged from the start: no leases to show, and it says none were ever read")
    func damagedFromStart() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        let range = TestSupport.freeRange(count: 2)
        let store = LeaseStore(path: dir + "/leases.json")
        TestSupport.writeFile(store.path, "[", mode: 0o600)
        let r = try #require(scan(ScanWorker(range: range, store: store)))
        #expect(r.1?.leasesAsOf == nil)
        #expect(r.0.ports.allSatisfy { $0.lease == nil })
    }
}
