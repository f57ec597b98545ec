import PortKit
@testable import PortDashUI

/// The fixture /proc tree of the core's tests, scanned with fixed answers,
/// so the dashboard's screens are the same on every machine.
enum UIFixtures {
    static let procRoot: String = {
        let file = String(#filePath)
        let tests = file[..<file.lastIndex(of: "/")!]
        let up = tests[..<tests.lastIndex(of: "/")!]
        return up + "/PortKitTests/Fixtures/proc"
    }()

    struct Probe: PortProbing {
        func probe(_ port: UInt16) -> ProbeResult {
            [5000, 5001, 5002, 5003, 5004, 5005, 5006].contains(port)
                ? ProbeResult(ipv4: .inUse, ipv6: .inUse) : ProbeResult(ipv4: .free, ipv6: .free)
        }
    }

    static let range = PortRange(uncheckedFirst: 5000, last: 5010)

    static func snapshot(leases: [Lease] = defaultLeases, now: Int64 = 1_795_000_000) throws -> PortSnapshot {
        let root = ProcRoot(path: procRoot)
        var scanner = PortScanner(root: root, source: ProcNetTCPSource(root: root), probe: Probe(),
                                  resolver: SocketOwners(root: root), users: UserNames(preset: [1000: "ann", 1001: "bob", 0: "root"]))
        scanner.viewerIsRoot = false  // the goldens show what a normal user is told
        return try scanner.scan(range, leases: leases, now: now)
    }

    static let defaultLeases = [
        Lease(service: "db", port: 5008, kind: .reservation, granted: 1_794_990_000),
        Lease(service: "web", port: 5009, kind: .lease, granted: 1_794_990_000, expires: 1_795_003_600, ttl: 3600),
        Lease(service: "api", port: 5000, kind: .lease, granted: 1_794_990_000, owner: LeaseOwner(pid: 150, startTime: 4300)),  // alive in the fixture: a live lease
    ]

    static func state() throws -> DashboardState {
        var s = DashboardState(range: range, statePath: "/home/ann/.local/state/portdash/leases.json", interval: 1)
        s.apply(try snapshot(), scanSeconds: 0.0021)
        s.log("watching 5000-5010", at: 1_795_000_000)
        s.router = RouterAddress(port: 5099)  // a portdash serve runs (the goldens show its names)
        return s
    }

    static let renderer = Renderer(clockText: { t in "12:00:\(String(t % 60).count == 1 ? "0" : "")\(t % 60)" },
                                   startText: { "t+\($0)" })
}
