import Testing
import PortKit
import PortKitTestSupport
import Dispatch
import Synchronization
@testable import PortDashUI

/// The run loop without tmux: a fake terminal fed keys, a fixture /proc
/// with fixed bind answers, a real state file in a temp dir.
@Suite("The dashboard's run loop (fake terminal, fixture /proc)")
struct RunLoopTests {
    let dir = TestSupport.temporaryDirectory()
    var store: LeaseStore { LeaseStore(path: dir + "/leases.json", lockTimeout: 5) }

    func run(_ terminal: FakeTerminal, restarter: Dashboard.Restarter? = nil) -> Int32 {
        let root = ProcRoot(path: UIFixtures.procRoot)
        let probe = UIFixtures.Probe()
        let loop = try! RunLoop(range: UIFixtures.range, store: store, interval: 0.25, terminal: terminal,
                           refresher: .live(store: store, root: root, probe: probe), signalFD: -1,
                           environment: { SystemLeaseEnvironment(root: root, probe: probe, holders: { _ in nil }) },
                           restarter: restarter)
        return loop.run()
    }

    @Test("R while the up takes its time to answer: keys go on working (help opens and closes); the answer arrives as the status line")
    func restartNeverBlocks() throws {
        // pid 150 runs in the fixture /proc: the up holding api's lease.
        _ = try store.update { (book: inout LeaseBook) throws(PortKitError) in
            book.leases.append(Lease(service: "api", port: 5000, kind: .lease, granted: 1, owner: LeaseOwner(pid: 150, startTime: 4300),
                                     project: LeaseProject(root: "/src/shop", name: "shop@main")))
        }
        // The up answers once the test lets it (or gives up after 20 s, as an old dashboard would have waited).
        let answer = DispatchSemaphore(value: 0)
        let asked = Mutex<[String]>([])
        let t = FakeTerminal([
            .waitFor("api · shop@main"), .key(.char("R")), .waitFor("asking the portdash up of /src/shop to restart api"),
            .key(.char("?")), .waitFor("portdash keys"), .run { answer.signal() }, .key(.escape),
            .waitFor("ok: restarting api"), .key(.char("q")),
        ])
        let code = run(t) { root, service in
            asked.withLock { $0.append("\(root) \(service)") }
            return answer.wait(timeout: .now() + 20) == .success ? ("ok: restarting api", true) : ("did not answer", false)
        }
        #expect(code == 0)
        #expect(!t.timedOut, "\(t.screen)")
        #expect(asked.withLock { $0 } == ["/src/shop api"])
    }

    @Test("scan, move, reserve by keys: the state file gets the reservation and the next scan shows it ours")
    func reserve() throws {
        let t = FakeTerminal([
            .waitFor("first scan"), .key(.end), .key(.up), .waitFor("5009"),
            .key(.char("r")), .waitFor("Reserve 5009"),
            .key(.char("d")), .key(.char("b")), .waitFor("for service: db"), .key(.enter),
            .waitFor("5009 reserved for db"), .key(.char("q")),
        ])
        #expect(run(t) == 0)
        #expect(!t.timedOut, "\(t.screen)")
        #expect(try store.load().lease(on: 5009)?.service == "db")
        let row = t.screen.split(separator: "\n").first { $0.hasPrefix("5009") } ?? ""
        #expect(row.contains("ours") && row.contains("db"), "\(row)")
    }

    @Test("keys sent in one burst never confirm the kill box; the filter takes every key as text")
    func burstAndFilter() throws {
        let t = FakeTerminal([
            .waitFor("first scan"), .burst([.char("x"), .char("y")]), .waitFor("Kill what holds port 5000"),
            .key(.escape), .waitFor("kill cancelled"),
            .key(.char("/")), .burst([.char("q"), .char("x")]), .waitFor("Filter: qx"),
            .key(.escape), .waitFor("filter cleared"), .key(.char("q")),
        ])
        #expect(run(t) == 0)
        #expect(!t.timedOut, "\(t.screen)")
        // The y that came with the x was dropped with the rest of the burst:
        // the box was still open for Esc, and nothing was signalled.
        #expect(!t.frames.contains { $0.contains("sent to") || $0.contains("exited after") })
    }

    @Test("a damaged state file under the run loop: stale marker, no invented release, reserve refused")
    func damaged() throws {
        _ = try store.update { (book: inout LeaseBook) throws(PortKitError) in
            book.leases.append(Lease(service: "db", port: 5008, kind: .reservation, granted: 1))
        }
        let path = store.path
        let t2 = FakeTerminal([
            .waitFor("5008 ours"), .run { TestSupport.writeFile(path, "{", mode: 0o600) }, .key(.char(" ")),
            .waitFor("state file damaged since"), .key(.char("r")), .waitFor("reserve refused"), .key(.char("q")),
        ])
        #expect(run(t2) == 0)
        #expect(!t2.timedOut, "\(t2.screen)")
        #expect(!t2.frames.contains { $0.contains("released") })
        // The reservation is still shown, from the last good read.
        #expect((t2.screen.split(separator: "\n").first { $0.hasPrefix("5008") } ?? "").contains("db"))
    }
}
