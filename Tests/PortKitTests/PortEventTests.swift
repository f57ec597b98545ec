import Testing
@testable import PortKit

@Suite("Port events (what changed between two scans)")
struct PortEventTests {
    func held(_ port: UInt16, by pid: Int32, name: String, lease: Lease? = nil, state: PortState = .foreign) -> PortReport {
        let socket = TCPSocket(local: Endpoint(family: .ipv4, address: [127, 0, 0, 1], port: port),
                               remote: Endpoint(family: .ipv4, address: [0, 0, 0, 0], port: 0), state: .listen, uid: 0, inode: UInt64(pid))
        let owner = ProcessDetails(pid: pid, ppid: 1, name: name, uid: 0, user: "root", cmdline: [name], startTime: 1)
        return PortReport(port: port, state: state, lease: lease, leaseStatus: nil,
                          sockets: [SocketReport(socket: socket, owners: [owner], refs: [])],
                          probe: ProbeResult(ipv4: .inUse, ipv6: .free), note: nil)
    }

    func snapshot(_ ports: [PortReport]) -> PortSnapshot { PortSnapshot(range: nil, ports: ports, takenAt: 1, unreadablePids: 0) }

    @Test("listener views grow and shrink: a port that disappears is freed, a new one is taken")
    func unionOfPorts() {
        let old = snapshot([held(3000, by: 10, name: "node")])
        let new = snapshot([held(8080, by: 20, name: "python3")])
        let events = PortEvent.changes(from: old, to: new)
        #expect(events.map(\.kind) == [.freed, .taken])
        #expect(events.map(\.port) == [3000, 8080])
        #expect(events[0].pids == [10] && events[1].pids == [20])
        #expect(events[1].text == "8080 now held by python3 (pid 20)")
    }

    @Test("a lease appearing, a reservation, a release, and a conflict, each said once")
    func leases() {
        let web = Lease(service: "web", port: 5000, kind: .lease, granted: 1, owner: LeaseOwner(pid: 1, startTime: 1))
        let pool = PortRange(uncheckedFirst: 5000, last: 5001)
        let before = PortSnapshot(range: pool, ports: [.unheld(5000), .unheld(5001)], takenAt: 1, unreadablePids: 0)
        let db = Lease(service: "db", port: 5001, kind: .reservation, granted: 1)
        let after = PortSnapshot(range: pool, ports: [held(5000, by: 99, name: "intruder", lease: web, state: .conflict),
                                                      PortReport(port: 5001, state: .ours, lease: db, leaseStatus: .reserved, sockets: [],
                                                                 probe: ProbeResult(ipv4: .free, ipv6: .free), note: nil)],
                                 takenAt: 2, unreadablePids: 0)
        #expect(PortEvent.changes(from: before, to: after).map(\.kind) == [.leased, .taken, .conflict, .reserved])
        #expect(PortEvent.changes(from: after, to: before).map(\.kind) == [.released, .freed, .released])
        #expect(PortEvent.changes(from: after, to: after).isEmpty)
    }
}
