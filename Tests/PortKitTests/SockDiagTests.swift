import Testing
import PortKitTestSupport
@testable import PortKit
import Glibc

@Suite("sock_diag source")
struct SockDiagTests {
    @Test("the request is the 92 bytes the kernel expects, with the range in the filter")
    func request() {
        let r = SockDiagSource.request(af: UInt8(AF_INET6), range: PortRange(uncheckedFirst: 5000, last: 5010), seq: 7)
        #expect(r.count == 92)
        #expect(r[0..<4] == [92, 0, 0, 0])                  // nlmsg_len
        #expect(r[4..<6] == [20, 0])                        // SOCK_DIAG_BY_FAMILY
        #expect(r[16] == UInt8(AF_INET6) && r[17] == UInt8(IPPROTO_TCP))
        #expect(r[72..<76] == [20, 0, 1, 0])               // rtattr: 20 bytes, INET_DIAG_REQ_BYTECODE
        #expect(r[76] == 2 && r[82..<84] == [0x88, 0x13])  // S_GE 5000
        #expect(r[84] == 3 && r[90..<92] == [0x92, 0x13])  // S_LE 5010
    }

    @Test("on live sockets it lists what /proc/net/tcp{,6} lists, each socket once")
    func sameAsProc() throws {
        let range = TestSupport.freeRange(count: 4)
        let a = try Listener(port: range.first)
        let b = try Listener(port: range.first + 1, address: "::1")
        let c = try Listener(port: range.first + 2, address: "::ffff:127.0.0.1", v6only: false)
        let (x, y) = a.connectLoopback()
        defer { close(x); close(y) }
        func key(_ s: TCPSocket) -> String { "\(s.local.addressText):\(s.local.port) \(s.state.name) \(s.inode) \(s.uid) \(s.remote.addressText):\(s.remote.port)" }
        let diag = try SockDiagSource().sockets(in: range).map(key)
        let proc = try ProcNetTCPSource().sockets(in: range).map(key)
        // Neither source reports a socket twice.
        #expect(Set(diag).count == diag.count)
        #expect(Set(proc).count == proc.count)
        // Our four sockets (three listeners, one accepted connection) are in
        // both, described the same way. Something else may come or go in
        // the range between the two reads; that is not a disagreement.
        let ours = Set([a.inode, b.inode, c.inode, inode(of: y)]).map(String.init)
        func mine(_ rows: [String]) -> Set<String> { Set(rows.filter { ours.contains(String($0.split(separator: " ")[2])) }) }
        #expect(mine(diag).count == 4)
        #expect(mine(diag) == mine(proc))
    }

    func inode(of fd: Int32) -> UInt64 {
        var st = stat()
        fstat(fd, &st)
        return UInt64(st.st_ino)
    }
}
