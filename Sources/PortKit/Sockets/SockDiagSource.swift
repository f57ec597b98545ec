import CLinux
import SystemPackage
import Glibc

/// Reads TCP sockets through NETLINK_SOCK_DIAG (inet_diag), what `ss` uses.
/// A bytecode filter makes the kernel return only sockets whose local port
/// is in the range, so the cost stays about 1 ms however many thousands of
/// connections the machine has, where /proc/net/tcp costs ~1 µs per row of
/// the whole table. The /proc parser stays as the fallback (no netlink in a
/// sandbox, an old kernel) and for fixtures.
///
/// Messages are built and read by byte offset from the kernel's UAPI
/// layout (include/uapi/linux/{netlink,sock_diag,inet_diag}.h), which is
/// fixed ABI.
public struct SockDiagSource: SocketTableSource {
    /// Bit N set: TCP state N (tcp_states.h). The kernel walks the listening
    /// hash for LISTEN and the whole established hash for anything else, so
    /// a LISTEN-only dump stays cheap however many connections there are.
    public let states: UInt32
    /// Every state, and sockets bound but not listening or connected
    /// (TCP_BOUND_INACTIVE, bit 13, kernel 6.8+; reported as CLOSE; older
    /// kernels ignore the bit): they hold a port as much as a listener.
    public static let allStates: UInt32 = 0xFFF | boundInactive
    public static let boundInactive: UInt32 = 1 << 13
    public static let listenOnly: UInt32 = 1 << 10

    public init(states: UInt32 = SockDiagSource.allStates) { self.states = states }

    // include/uapi/linux/netlink.h, sock_diag.h, inet_diag.h
    static let netlinkSockDiag: Int32 = 4         // NETLINK_SOCK_DIAG
    static let sockDiagByFamily: UInt16 = 20      // SOCK_DIAG_BY_FAMILY
    static let nlmFRequest: UInt16 = 0x01
    static let nlmFDump: UInt16 = 0x300           // NLM_F_ROOT | NLM_F_MATCH
    static let nlmsgError: UInt16 = 2
    static let nlmsgDone: UInt16 = 3
    static let reqBytecode: UInt16 = 1            // INET_DIAG_REQ_BYTECODE
    static let bcSGE: UInt8 = 2                   // INET_DIAG_BC_S_GE
    static let bcSLE: UInt8 = 3                   // INET_DIAG_BC_S_LE

    public func sockets(in range: PortRange) throws(PortKitError) -> [TCPSocket] {
        let fd: FileDescriptor
        switch Syscalls.openSocket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue), SockDiagSource.netlinkSockDiag) {
        case .success(let s): fd = s
        case .failure(let e): throw .system(call: "socket(AF_NETLINK, NETLINK_SOCK_DIAG)", errno: e)
        }
        defer { try? fd.close() }
        var all: [TCPSocket] = []
        for (af, family) in [(UInt8(AF_INET), AddressFamily.ipv4), (UInt8(AF_INET6), .ipv6)] {
            all += try dump(fd, af: af, family: family, range: range)
        }
        return all
    }

    /// A LISTEN-only dump of every port: the kernel walks only its listening hash.
    public func listeners() throws(PortKitError) -> [TCPSocket] {
        try SockDiagSource(states: SockDiagSource.listenOnly).sockets(in: .everyPort)
    }

    /// The request: nlmsghdr (16) + inet_diag_req_v2 (56) + rtattr (4) + bytecode (16).
    static func request(af: UInt8, range: PortRange, seq: UInt32, states: UInt32 = allStates) -> [UInt8] {
        var b: [UInt8] = []
        func u8(_ v: UInt8) { b.append(v) }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v) { b.append(contentsOf: $0) } }
        func u32(_ v: UInt32) { withUnsafeBytes(of: v) { b.append(contentsOf: $0) } }
        let total = 16 + 56 + 4 + 16
        // struct nlmsghdr
        u32(UInt32(total)); u16(sockDiagByFamily); u16(nlmFRequest | nlmFDump); u32(seq); u32(0)
        // struct inet_diag_req_v2: family, protocol, ext, pad, states, then a zero inet_diag_sockid (48)
        u8(af); u8(UInt8(IPPROTO_TCP)); u8(0); u8(0); u32(states)
        b.append(contentsOf: repeatElement(0, count: 48))
        // struct rtattr { rta_len, rta_type } for the filter
        u16(4 + 16); u16(reqBytecode)
        // sport >= first AND sport <= last, as ss builds it: each op is
        // {code, yes, no} (4 bytes) followed by {0, 0, port}; `no` = len+4 rejects.
        u8(bcSGE); u8(8); u16(20); u8(0); u8(0); u16(range.first)
        u8(bcSLE); u8(8); u16(12); u8(0); u8(0); u16(range.last)
        return b
    }

    func dump(_ fd: FileDescriptor, af: UInt8, family: AddressFamily, range: PortRange) throws(PortKitError) -> [TCPSocket] {
        let seq = UInt32(truncatingIfNeeded: Int(af) &* 7919 &+ Int(getpid()))
        let req = SockDiagSource.request(af: af, range: range, seq: seq, states: states)
        // A netlink datagram goes whole or not at all.
        if case .failure(let e) = Syscalls.sendToKernel(fd, req) { throw .system(call: "sendto(NETLINK_SOCK_DIAG)", errno: e) }

        var out: [TCPSocket] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n: Int
            switch Syscalls.receive(fd, into: &buffer) {
            case .success(let received): n = received
            case .failure(let e): throw .system(call: "recv(NETLINK_SOCK_DIAG)", errno: e)
            }
            var off = 0
            while off + 16 <= n {
                let len = Int(buffer.load(off, as: UInt32.self))
                let type = buffer.load(off + 4, as: UInt16.self)
                guard len >= 16, off + len <= n else { break }
                if type == SockDiagSource.nlmsgDone { return out }
                if type == SockDiagSource.nlmsgError {
                    let err = -buffer.load(off + 16, as: Int32.self)
                    if err == 0 { return out }
                    throw .system(call: "NETLINK_SOCK_DIAG dump", errno: Errno(rawValue: err))
                }
                if let s = SockDiagSource.parse(buffer, at: off + 16, length: len - 16, family: family), range.contains(s.local.port) {
                    out.append(s)
                }
                off += (len + 3) & ~3  // NLMSG_ALIGN
            }
        }
    }

    /// struct inet_diag_msg: family(0) state(1) timer(2) retrans(3), then
    /// inet_diag_sockid: sport(4, be16) dport(6, be16) src(8, 16 bytes)
    /// dst(24, 16 bytes) if(40) cookie(44); expires(52) rqueue(56) wqueue(60) uid(64) inode(68).
    static func parse(_ b: [UInt8], at o: Int, length: Int, family: AddressFamily) -> TCPSocket? {
        guard length >= 72, let state = TCPState(rawValue: b[o + 1]) else { return nil }
        let width = family == .ipv4 ? 4 : 16
        let sport = UInt16(b[o + 4]) << 8 | UInt16(b[o + 5])
        let dport = UInt16(b[o + 6]) << 8 | UInt16(b[o + 7])
        let src = Array(b[(o + 8)..<(o + 8 + width)])
        let dst = Array(b[(o + 24)..<(o + 24 + width)])
        let uid = b.load(o + 64, as: UInt32.self)
        let inode = b.load(o + 68, as: UInt32.self)
        return TCPSocket(local: Endpoint(family: family, address: src, port: sport),
                         remote: Endpoint(family: family, address: dst, port: dport),
                         state: state, uid: uid, inode: UInt64(inode))
    }
}

extension Array where Element == UInt8 {
    /// An unaligned native-endian load at a byte offset.
    func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    }
}
