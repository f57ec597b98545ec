import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// `leases` and `status` ask the same lease rules (LeasePolicy), so they
/// name the same status for the same lease.
@Suite("leases and status agree", .blocking)
struct LeaseAgreementTests {
    let dir = TestSupport.temporaryDirectory()
    var state: String { dir + "/leases.json" }

    func portdash(_ args: [String], range: PortRange) -> String {
        let argv = [TestSupport.portdashBinary, args[0], "--range", "\(range.first)-\(range.last)"] + args.dropFirst()
        let r = TestSupport.runCommand(argv, environment: ["PORTDASH_STATE": state])
        #expect(r.status == 0, "\(args): \(r.stderr)")
        return r.stdout
    }

    struct LeasesJSON: Decodable { struct L: Decodable { let service: String; let status: String }; let leases: [L] }
    struct StatusJSON: Decodable {
        struct P: Decodable { struct L: Decodable { let service: String; let status: String }; let lease: L? }
        let ports: [P]
    }

    func statuses(_ range: PortRange) throws -> (leases: [String: String], status: [String: String]) {
        let l = try JSONDecoder().decode(LeasesJSON.self, from: Data(portdash(["leases", "--json"], range: range).utf8))
        let s = try JSONDecoder().decode(StatusJSON.self, from: Data(portdash(["status", "--json"], range: range).utf8))
        return (Dictionary(uniqueKeysWithValues: l.leases.map { ($0.service, $0.status) }),
                Dictionary(uniqueKeysWithValues: s.ports.compactMap(\.lease).map { ($0.service, $0.status) }))
    }

    @Test("reserved, active (listened on, or owned by a live process), idle — and idle when only a client socket is bound")
    func sameStatus() throws {
        let range = TestSupport.freeRange(count: 5)
        let owner = ChildProcess(["sleep", "60"])
        _ = portdash(["reserve", String(range.first), "db"], range: range)
        _ = portdash(["lease", "web", "--preferred", String(range.first + 1)], range: range)
        _ = portdash(["lease", "api", "--preferred", String(range.first + 2), "--pid", String(owner.pid)], range: range)
        _ = portdash(["lease", "idle", "--preferred", String(range.first + 3)], range: range)
        _ = portdash(["lease", "client", "--preferred", String(range.first + 4)], range: range)
        let listener = try Listener(port: range.first + 1)
        // A socket bound to the port but not listening: bind(2) says busy, yet
        // nothing serves there. That lease is idle in both views.
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        #expect(SocketAddress.bind(client, host: "127.0.0.1", port: range.first + 4, ipv6: false) == 0)

        let (leases, status) = try statuses(range)
        #expect(leases == ["db": "reserved", "web": "active", "api": "active", "idle": "idle", "client": "idle"])
        #expect(status == leases)
        owner.signal(SIGKILL)
        owner.wait()
        // Its owner gone, api's lease is expired for `leases` and no longer in force for `status`.
        let after = try statuses(range)
        #expect(after.leases["api"] == "expired")
        #expect(after.status["api"] == nil)
        _ = listener
    }
}
