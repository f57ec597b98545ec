import Testing
import PortKitTestSupport
@testable import PortKit
import Glibc

/// A socket source that counts the questions asked of it.
final class CountingSource: SocketTableSource, @unchecked Sendable {
    let inner: any SocketTableSource
    private(set) var portQueries = 0
    private(set) var listenerScans = 0
    init(_ inner: any SocketTableSource) { self.inner = inner }

    func sockets(in range: PortRange) throws(PortKitError) -> [TCPSocket] {
        portQueries += 1
        return try inner.sockets(in: range)
    }

    func listeners() throws(PortKitError) -> [TCPSocket] {
        listenerScans += 1
        return try inner.listeners()
    }
}

@Suite("The lease environment asks the socket table once")
struct LeaseScanTests {
    @Test("the status of 1,000 leases (leases, leases --json, serve's refresh) takes one LISTEN-only scan, no dump per lease")
    func oneListenScan() throws {
        let range = TestSupport.freeRange(count: 3)
        let v4 = try Listener(port: range.first)
        let v6 = try Listener(port: range.last, address: "::1")
        let counting = CountingSource(SocketSources.best())
        let env = SystemLeaseEnvironment(range: range, sockets: counting, holders: { _ in nil })
        func ttlLease(_ name: String, _ port: UInt16) -> Lease {
            Lease(service: name, port: port, kind: .lease, granted: env.now, expires: env.now + 3600, ttl: 3600)
        }
        let ours = range.ports.map { ttlLease("p\($0)", $0) }
        let book = LeaseBook(leases: ours + (0..<997).map { ttlLease("s\($0)", UInt16(40000 + $0)) })
        #expect(book.leases.count == 1000)
        let json = LeasesJSON(statePath: "/nonexistent/leases.json", book: book, range: range).encoded(env: env, router: nil)
        #expect(json.contains("\"service\":\"s996\""))
        // Listened on (IPv4 or IPv6): active; nothing on the middle port: idle.
        #expect(ours.map { LeasePolicy.status(of: $0, env: env) } == [.active, .idle, .active])
        #expect(counting.listenerScans == 1)
        #expect(counting.portQueries == 0)
        _ = (v4, v6)
    }

    @Test("grants read the pool's sockets in one query, however many ports they try")
    func onePoolQuery() throws {
        let range = TestSupport.freeRange(count: 6)
        let counting = CountingSource(SocketSources.best())
        let env = SystemLeaseEnvironment(range: range, sockets: counting, holders: { _ in nil })
        #expect(range.ports.allSatisfy { env.availability($0) == .free })
        #expect(counting.portQueries == 1)
    }
}
