import Testing
import PortKitTestSupport
@testable import PortKit
import SystemPackage
import Glibc

/// The one rule for "a server could bind this port now" (PortOccupancy),
/// as a table, then on real sockets against what a real bind says.
@Suite("Port occupancy: free as servers find it")
struct PortOccupancyTests {
    static let free = ProbeResult(ipv4: .free, ipv6: .free)
    static let inUse = ProbeResult(ipv4: .inUse, ipv6: .free)

    func socket(_ state: TCPState, netns: NetNamespace? = nil) -> TCPSocket {
        var s = TCPSocket(local: Endpoint(family: .ipv4, address: [127, 0, 0, 1], port: 23002),
                          remote: Endpoint(family: .ipv4, address: [127, 0, 0, 1], port: 41000),
                          state: state, uid: 1000, inode: state == .timeWait ? 0 : 77)
        s.netns = netns
        return s
    }

    @Test("listen, established, a bound socket, a connection the old server left: busy; only TIME_WAITs: free",
          arguments: [
              ([TCPState.listen], false), ([.established], false), ([.close], false), ([.closeWait], false),
              ([.finWait1], false), ([.finWait2], false), ([.lastAck], false), ([.synSent], false),
              ([.timeWait], true), ([.timeWait, .timeWait, .timeWait], true), ([], true),
              ([.timeWait, .established], false), ([.timeWait, .finWait2], false),
          ])
    func rule(states: [TCPState], free: Bool) {
        #expect(PortOccupancy.isFree(probe: Self.free, sockets: states.map { socket($0) }) == free, "\(states)")
    }

    @Test("a closing socket no process has (inode 0: FIN_WAIT1/2, CLOSING, LAST_ACK) is the kernel's to finish: free; with its process, busy",
          arguments: [TCPState.finWait1, .finWait2, .closing, .lastAck])
    func closingOrphan(state: TCPState) {
        let orphan = TCPSocket(local: socket(state).local, remote: socket(state).remote, state: state, uid: 1000, inode: 0)
        #expect(PortOccupancy.isFree(probe: Self.free, sockets: [orphan]))
        #expect(!PortOccupancy.isFree(probe: Self.free, sockets: [socket(state)]))
        #expect(!PortOccupancy.isFree(probe: Self.inUse, sockets: [orphan]))
    }

    @Test("a client kept an idle connection across the server's exit (the server's FIN_WAIT2, orphaned): free, and a server binds there")
    func idleClientAcrossRestart() throws {
        let range = TestSupport.freeRange(count: 1)
        let port = range.first
        let listener = try Listener(port: port)
        let (client, accepted) = listener.connectLoopback()
        defer { close(client) }
        close(accepted)  // the server closes first and exits: its side waits in FIN_WAIT2 for the idle client
        listener.close()
        // One look at the table and the probe together, taken while the orphan is
        // there (the old rule never calls that free; a busy machine may need a
        // few looks before the server's side has left FIN_WAIT1).
        let freeWithOrphan = waitUntil(seconds: 50) {
            let table = (try? SockDiagSource().sockets(in: range)) ?? []
            guard table.contains(where: { $0.state == .finWait2 && $0.inode == 0 && $0.local.port == port }) else { return false }
            return PortOccupancy.isFree(probe: BindProbe().probe(port), sockets: table)
        }
        #expect(freeWithOrphan, "the orphaned FIN_WAIT2 on \(port) was never called free: \((try? SockDiagSource().sockets(in: range)) ?? [])")
        #expect(throws: Never.self) { try Listener(port: port, address: "0.0.0.0") }
    }

    @Test("a failed probe is busy whatever the table says (the TIME_WAIT of a server without SO_REUSEADDR, a hidden socket)")
    func probeDecides() {
        #expect(!PortOccupancy.isFree(probe: Self.inUse, sockets: [socket(.timeWait)]))
        #expect(!PortOccupancy.isFree(probe: Self.inUse, sockets: []))
        #expect(!PortOccupancy.isFree(probe: ProbeResult(ipv4: .failed(.permissionDenied), ipv6: .free), sockets: []))
        #expect(PortOccupancy.isFree(probe: ProbeResult(ipv4: .free, ipv6: .unsupported), sockets: [socket(.timeWait)]))
    }

    @Test("a listener of another network namespace holds no port of this host")
    func otherNamespace() {
        #expect(PortOccupancy.isFree(probe: Self.free, sockets: [socket(.listen, netns: NetNamespace(inode: 4026532000, name: "box"))]))
    }

    @Test("the TIME_WAIT of a server with SO_REUSEADDR: probe, grant and status say free, and a server binds there")
    func reusingServerTimeWait() throws {
        let range = TestSupport.freeRange(count: 1)
        let port = range.first
        try #require(TimeWait.leave(on: port, reuseAddress: true), "no TIME_WAIT was left on \(port): this test would prove nothing")
        #expect(BindProbe().probe(port).isFree)
        #expect(SystemLeaseEnvironment(range: range).availability(port) == .free)
        var scanner = PortScanner()
        let report = try #require(try scanner.scan(range).report(port))
        #expect(report.state == .free && report.isUnheld)
        #expect(report.sockets.contains { $0.socket.state == .timeWait })
        // What the rule claims, a server finds: it binds and listens (Listener sets SO_REUSEADDR).
        #expect(throws: Never.self) { try Listener(port: port, address: "0.0.0.0") }
    }

    @Test("the TIME_WAIT of a server without SO_REUSEADDR: busy for every server, and said to be a TIME_WAIT")
    func plainServerTimeWait() throws {
        let range = TestSupport.freeRange(count: 1)
        let port = range.first
        try #require(TimeWait.leave(on: port, reuseAddress: false), "no TIME_WAIT was left on \(port): this test would prove nothing")
        #expect(BindProbe().probe(port).ipv4 == .inUse)
        #expect(SystemLeaseEnvironment(range: range).availability(port) == .busy(holder: "TIME_WAIT", pids: []))
        var scanner = PortScanner()
        #expect(try scanner.scan(range).report(port)?.state == .foreign)
        // Reality agrees: even with SO_REUSEADDR, bind fails while that TIME_WAIT lasts.
        #expect(throws: Errno.addressInUse) { try Listener(port: port, address: "0.0.0.0") }
    }

    @Test("a connection the old server left (its listener closed) holds the port though a SO_REUSEADDR bind would pass")
    func leftConnection() throws {
        let range = TestSupport.freeRange(count: 1)
        let port = range.first
        let listener = try Listener(port: port)
        let (client, accepted) = listener.connectLoopback()
        defer { close(client); close(accepted) }
        listener.close()
        #expect(BindProbe().probe(port).isFree)
        guard case .busy(_, let pids) = SystemLeaseEnvironment(range: range).availability(port) else {
            Issue.record("an ESTABLISHED socket on \(port) was called free")
            return
        }
        #expect(TestSupport.withoutPassingForks(pids, keep: [getpid()]) == [getpid()])
        var scanner = PortScanner()
        #expect(try scanner.scan(range).report(port)?.state == .foreign)
    }

    @Test("a socket bound with SO_REUSEADDR but not listening holds the port (sock_diag lists it, kernel 6.8+)",
          .enabled(if: KernelVersion.atLeast(6, 8), "older kernels do not list bound-only sockets"))
    func boundNotListening() throws {
        let range = TestSupport.freeRange(count: 1)
        let port = range.first
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        try #require(SocketAddress.bind(fd, host: "127.0.0.1", port: port, ipv6: false) == 0)
        #expect(BindProbe().probe(port).isFree)  // the probe alone cannot see it
        #expect(SystemLeaseEnvironment(range: range).availability(port) != .free)
        var scanner = PortScanner()
        let report = try #require(try scanner.scan(range).report(port))
        #expect(report.state == .foreign)
        #expect(report.sockets.map(\.socket.state) == [.close])
    }
}

/// The running kernel's version, from uname(2).
enum KernelVersion {
    static func atLeast(_ major: Int, _ minor: Int) -> Bool {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: &u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        let parts = release.split(whereSeparator: { !$0.isNumber }).prefix(2).compactMap { Int($0) }
        guard parts.count == 2 else { return false }
        return (parts[0], parts[1]) >= (major, minor)
    }
}
