import Testing
@testable import PortKit
import SystemPackage
import Glibc

@Suite("Scanning a fixture /proc")
struct FixtureScanTests {
    func scan(_ probe: FakeProbe = FakeProbe(inUse: [5000, 5001, 5002, 5003, 5004, 5005, 5006]),
              leases: [Lease] = [], asRoot: Bool = false) throws -> PortSnapshot {
        var scanner = PortScanner(root: ProcRoot(path: fixtureProc), probe: probe)
        scanner.viewerIsRoot = asRoot
        return try scanner.scan(PortRange(uncheckedFirst: 5000, last: 5008), leases: leases, now: 1000)
    }

    @Test("each port gets its sockets and their owners")
    func owners() throws {
        let s = try scan()
        #expect(s.report(5000)?.state == .foreign)
        #expect(s.report(5000)?.owners.map(\.pid) == [100])
        #expect(s.report(5000)?.sockets.first?.refs == [FDRef(pid: 100, fd: 3)])
        // 5001: the listener and one accepted connection, both held by 100.
        let p5001 = try #require(s.report(5001))
        #expect(p5001.sockets.map(\.socket.state) == [.listen, .established])
        #expect(p5001.connectionCount == 1)
        #expect(p5001.owners.map(\.pid) == [100])
        #expect(s.report(5007)?.state == .free)
        #expect(s.report(5007)?.sockets.isEmpty == true)
    }

    @Test("a socket shared by a parent and its worker lists both")
    func shared() throws {
        let p = try #require(try scan().report(5006))
        #expect(p.owners.map(\.pid) == [300, 301])
        #expect(p.owners.map(\.name) == ["gunicorn: mast", "weird) (name"])
        #expect(p.sockets.first?.socket.local.addressText == "::")
    }

    @Test("a TIME_WAIT the bind probe fails on (its server had no SO_REUSEADDR) makes the port unavailable")
    func timeWait() throws {
        let p = try #require(try scan().report(5002))
        #expect(p.state == .foreign)
        #expect(p.sockets.map(\.socket.state) == [.timeWait])
        #expect(p.owners.isEmpty)
        #expect(p.holderSummary == "TIME_WAIT")
    }

    @Test("a TIME_WAIT alone, the probe passing (its server had SO_REUSEADDR), leaves the port free")
    func timeWaitOnly() throws {
        let p = try #require(try scan(FakeProbe(inUse: [5000, 5001, 5003, 5004, 5005, 5006])).report(5002))
        #expect(p.state == .free && p.isUnheld)
        #expect(p.sockets.map(\.socket.state) == [.timeWait])
        // A listener in the table holds its port even when the probe passes (SO_REUSEPORT, closed mid-scan).
        #expect(try scan(FakeProbe(inUse: [])).report(5001)?.state == .foreign)
    }

    @Test("a hidden holder: a user is told to use root; root is told it is another pid namespace")
    func hiddenAdvice() throws {
        let user = try #require(try scan().report(5004))
        #expect(user.hiddenHolderText(uid: 1001).contains("run as root"))
        #expect(user.hiddenKillAdvice(uid: 1001).contains("sudo portdash kill 5004"))
        let root = try #require(try scan(asRoot: true).report(5004))
        for text in [root.hiddenHolderText(uid: 1001), root.hiddenKillAdvice(uid: 1001), root.note ?? ""] {
            #expect(!text.contains("root") && !text.contains("sudo"), "\(text)")
            #expect(text.contains("pid namespace"), "\(text)")
        }
    }

    @Test("unreadable or vanished holders keep the uid and inode from the table")
    func hidden() throws {
        let s = try scan()
        let p5004 = try #require(s.report(5004))
        #expect(p5004.owners.isEmpty)
        #expect(p5004.hiddenUIDs == [1001])
        #expect(p5004.sockets.first?.socket.inode == 1009)
        #expect(p5004.holderSummary == "uid 1001, pid hidden")
        // pid 200 holds [::1]:5003 but vanished between the fd walk and its stat.
        let p5003 = try #require(s.report(5003))
        #expect(p5003.owners.isEmpty)
        #expect(p5003.sockets.first?.socket.uid == 1000)
        #expect(p5003.sockets.first?.refs == [FDRef(pid: 200, fd: 3)])
    }

    @Test("the probe and the table disagreeing is said, not guessed")
    func disagreement() throws {
        // 5007 has no socket, but bind says it is in use.
        let s = try scan(FakeProbe(inUse: [5000, 5001, 5002, 5003, 5004, 5005, 5006, 5007]))
        let p = try #require(s.report(5007))
        #expect(p.state == .foreign)
        #expect(p.note?.contains("no TCP socket") == true)
        // 5000 listens, but bind succeeded.
        let s2 = try scan(FakeProbe(inUse: []))
        #expect(s2.report(5000)?.note?.contains("bind succeeded") == true)
    }

    @Test("a bind error other than EADDRINUSE is reported and the port is not called free")
    func probeFailure() throws {
        let s = try scan(FakeProbe(inUse: [5000, 5001, 5002, 5003, 5004, 5005, 5006], failures: [5008: .permissionDenied]))
        let p = try #require(s.report(5008))
        #expect(p.state == .foreign)
        #expect(p.note?.contains("EACCES") == true)
    }

    @Test("leases make ports ours, or conflict when a stranger holds them")
    func leases() throws {
        let leases = [
            Lease(service: "web", port: 5007, kind: .lease, granted: 0, expires: 5000),
            Lease(service: "api", port: 5006, kind: .lease, granted: 0, owner: LeaseOwner(pid: 300, startTime: 5000)),
            Lease(service: "flask", port: 5000, kind: .reservation, granted: 0, owner: LeaseOwner(pid: 4242, startTime: 1)),
        ]
        let s = try scan(leases: leases)
        #expect(s.report(5007)?.state == .ours)
        #expect(s.report(5007)?.leaseStatus == .idle)
        // 301 is a child of the leaseholder 300: still ours.
        #expect(s.report(5006)?.state == .ours)
        #expect(s.report(5006)?.leaseStatus == .active)
        // python3 (100) is no descendant of 4242.
        #expect(s.report(5000)?.state == .conflict)
        #expect(s.report(5000)?.leaseStatus == .reserved)
    }

    @Test("a missing proc root is a clear error, not a crash")
    func noProc() {
        var scanner = PortScanner(root: ProcRoot(path: "/nonexistent/proc"), probe: FakeProbe())
        #expect {
            try scanner.scan(.default)
        } throws: { error in
            guard case .procUnavailable(let path, let err) = error as? PortKitError else { return false }
            return path == "/nonexistent/proc/net/tcp" && err == .noSuchFileOrDirectory
                && (error as! PortKitError).description.contains("/proc mounted")
        }
    }
}
