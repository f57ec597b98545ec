import Testing
@testable import PortKit

/// The address rewriting behind `binds` (RebindRules, RawSocketAddress):
/// the bytes of a sockaddr_in / sockaddr_in6 as a program passes them.
@Suite("binds: address rewriting")
struct RebindRulesTests {
    let rules = RebindRules(binds: [3000: 5003], connects: [3000: 5003, 8000: 5004])

    /// sockaddr_in: family 2 (little-endian), port (big-endian), address, 8 bytes of zero.
    func v4(_ a: [UInt8], _ port: UInt16) -> [UInt8] {
        [2, 0, UInt8(port >> 8), UInt8(port & 0xff)] + a + [UInt8](repeating: 0, count: 8)
    }

    /// sockaddr_in6: family 10, port, flow info, 16 address bytes, scope id.
    func v6(_ a: [UInt8], _ port: UInt16) -> [UInt8] {
        [10, 0, UInt8(port >> 8), UInt8(port & 0xff), 0, 0, 0, 0] + a + [0, 0, 0, 0]
    }

    let loopback6: [UInt8] = [UInt8](repeating: 0, count: 15) + [1]
    let any6 = [UInt8](repeating: 0, count: 16)
    func mapped(_ a: [UInt8]) -> [UInt8] { [UInt8](repeating: 0, count: 10) + [0xff, 0xff] + a }

    @Test("IPv4 bind of a moved port, on any address, gets the leased port; the address is kept")
    func bindIPv4() {
        #expect(rules.rewritten(.bind, v4([127, 0, 0, 1], 3000)) == v4([127, 0, 0, 1], 5003))
        #expect(rules.rewritten(.bind, v4([0, 0, 0, 0], 3000)) == v4([0, 0, 0, 0], 5003))
        #expect(rules.rewritten(.bind, v4([192, 168, 1, 7], 3000)) == v4([192, 168, 1, 7], 5003))
    }

    @Test("IPv6 and v4-mapped binds of a moved port get the leased port")
    func bindIPv6() {
        #expect(rules.rewritten(.bind, v6(any6, 3000)) == v6(any6, 5003))
        #expect(rules.rewritten(.bind, v6(loopback6, 3000)) == v6(loopback6, 5003))
        #expect(rules.rewritten(.bind, v6(mapped([127, 0, 0, 1]), 3000)) == v6(mapped([127, 0, 0, 1]), 5003))
    }

    @Test("port 0, other ports, and the checkout's other services' ports are not moved by bind")
    func bindUntouched() {
        #expect(rules.rewritten(.bind, v4([127, 0, 0, 1], 0)) == nil)
        #expect(rules.rewritten(.bind, v4([127, 0, 0, 1], 3001)) == nil)
        #expect(rules.rewritten(.bind, v4([127, 0, 0, 1], 8000)) == nil, "8000 is another service's: only connects go there")
        #expect(rules.rewritten(.bind, v6(any6, 0)) == nil)
    }

    @Test("connect to a moved port on a loopback address (127/8, 0.0.0.0, ::1, ::, ::ffff:127.x) reaches the leased port")
    func connectLoopback() {
        #expect(rules.rewritten(.connect, v4([127, 0, 0, 1], 8000)) == v4([127, 0, 0, 1], 5004))
        #expect(rules.rewritten(.connect, v4([127, 1, 2, 3], 3000)) == v4([127, 1, 2, 3], 5003))
        #expect(rules.rewritten(.connect, v4([0, 0, 0, 0], 3000)) == v4([0, 0, 0, 0], 5003))
        #expect(rules.rewritten(.connect, v6(loopback6, 8000)) == v6(loopback6, 5004))
        #expect(rules.rewritten(.connect, v6(any6, 8000)) == v6(any6, 5004))
        #expect(rules.rewritten(.connect, v6(mapped([127, 0, 0, 1]), 8000)) == v6(mapped([127, 0, 0, 1]), 5004))
    }

    @Test("connect to another machine, another port, or port 0 is left as the program made it")
    func connectUntouched() {
        #expect(rules.rewritten(.connect, v4([10, 0, 0, 5], 8000)) == nil)
        #expect(rules.rewritten(.connect, v4([127, 0, 0, 1], 5432)) == nil)
        #expect(rules.rewritten(.connect, v4([127, 0, 0, 1], 0)) == nil)
        #expect(rules.rewritten(.connect, v6([0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1], 8000)) == nil)
        #expect(rules.rewritten(.connect, v6(mapped([10, 0, 0, 5]), 8000)) == nil)
        #expect(rules.rewritten(.connect, v6([UInt8](repeating: 0, count: 15) + [2], 8000)) == nil, "::2 is not loopback")
    }

    @Test("other families and short addresses are never touched")
    func otherFamilies() {
        let unix: [UInt8] = [1, 0] + Array("/run/x.sock".utf8) + [0]
        #expect(rules.rewritten(.connect, unix) == nil)
        #expect(rules.rewritten(.bind, Array(v4([127, 0, 0, 1], 3000).prefix(8))) == nil)
        #expect(rules.rewritten(.bind, Array(v6(any6, 3000).prefix(20))) == nil)
        #expect(rules.rewritten(.bind, []) == nil)
    }

    @Test("/proc/TID/status: the thread's process from the Tgid line")
    func threadGroup() {
        #expect(ProcStatus.threadGroup(Array("Name:\tnode\nUmask:\t0022\nState:\tS\nTgid:\t4242\nNgid:\t0\nPid:\t4250\n".utf8)) == 4242)
        #expect(ProcStatus.threadGroup(Array("Name:\tx\n".utf8)) == nil)
    }
}
