import Testing
import PortKitTestSupport
@testable import PortKit
import Glibc

@Suite("Refreshing socket source (the dashboard's)")
struct RefreshingSourceTests {
    @Test("listeners every time; other states from a full dump when due, or when a busy port is unexplained")
    func dumps() throws {
        let range = TestSupport.freeRange(count: 3)
        let l = try Listener(port: range.first)
        let source = RefreshingSocketSource(fullEvery: 3600)
        let first = try source.sockets(in: range, busy: [range.first])
        #expect(source.lastWasFull && first.count == 1)
        let (c, s) = l.connectLoopback()
        defer { close(c); close(s) }
        // The listener is fresh; the new connection waits for the next full dump.
        let second = try source.sockets(in: range, busy: [range.first])
        #expect(!source.lastWasFull)
        #expect(second.map(\.state) == [.listen])
        // A client socket bound to a range port, with no listener there: the
        // probe says busy, nothing explains it, so a full dump runs at once.
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        #expect(SocketAddress.bind(client, host: "127.0.0.1", port: range.first + 2, ipv6: false) == 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_addr = in_addr(s_addr: UInt32(0x7F000001).bigEndian)
        sa.sin_port = range.first.bigEndian
        _ = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let third = try source.sockets(in: range, busy: [range.first, range.first + 2])
        #expect(source.lastWasFull)
        #expect(third.contains { $0.local.port == range.first + 2 && $0.state == .established })
        #expect(third.filter { $0.local.port == range.first }.count >= 2)  // listener + accepted connection(s)
    }

    @Test("a new connection's owner is found in its listener's process without a walk of everything")
    func connectionOwner() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first)
        var r = CachingOwnerResolver(fullWalkEvery: 3600)
        _ = try r.resolve([l.inode], primary: [l.inode])
        let (c, s) = l.connectLoopback()
        defer { close(c); close(s) }
        // The accepted socket's own inode (its fd's link "socket:[N]"), not the
        // first ESTABLISHED the table lists: on a busy machine another may be there.
        var link = [CChar](repeating: 0, count: 64)
        let n = readlink("/proc/self/fd/\(s)", &link, link.count - 1)
        let text = n > 0 ? String(decoding: link[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let conn = try #require(UInt64(text.dropFirst("socket:[".count).dropLast()), "fd \(s) is \(text)")
        try #require(try SockDiagSource().sockets(in: range).contains { $0.inode == conn && $0.state == .established })
        let result = try r.resolve([l.inode, conn], primary: [l.inode])
        #expect(TestSupport.withoutPassingForks(result.holders[conn]?.map(\.pid) ?? [], keep: [getpid()]) == [getpid()])
        // Besides processes new since the last refresh (other tests spawn
        // them all the time), only the listener's process was looked in.
        #expect(r.lastWalkedPids - r.lastFreshPids <= 1)
    }
}
