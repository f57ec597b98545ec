#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// TCP states as numbered in the kernel's include/net/tcp_states.h, which is
/// what /proc/net/tcp's `st` column and sock_diag's idiag_state carry.
public enum TCPState: UInt8, Sendable, CaseIterable, Codable {
    case established = 0x01
    case synSent = 0x02
    case synRecv = 0x03
    case finWait1 = 0x04
    case finWait2 = 0x05
    case timeWait = 0x06
    case close = 0x07
    case closeWait = 0x08
    case lastAck = 0x09
    case listen = 0x0A
    case closing = 0x0B
    case newSynRecv = 0x0C

    /// The names `ss` and `netstat` print.
    public var name: String {
        switch self {
        case .established: return "ESTABLISHED"
        case .synSent: return "SYN_SENT"
        case .synRecv: return "SYN_RECV"
        case .finWait1: return "FIN_WAIT1"
        case .finWait2: return "FIN_WAIT2"
        case .timeWait: return "TIME_WAIT"
        case .close: return "CLOSE"
        case .closeWait: return "CLOSE_WAIT"
        case .lastAck: return "LAST_ACK"
        case .listen: return "LISTEN"
        case .closing: return "CLOSING"
        case .newSynRecv: return "NEW_SYN_RECV"
        }
    }
}

public enum AddressFamily: String, Sendable, Codable {
    case ipv4, ipv6
}

/// An IP address and port as the kernel reports them.
public struct Endpoint: Sendable, Equatable, Hashable {
    public let family: AddressFamily
    /// Network-order address bytes: 4 for IPv4, 16 for IPv6.
    public let address: [UInt8]
    public let port: UInt16

    public init(family: AddressFamily, address: [UInt8], port: UInt16) {
        self.family = family
        self.address = address
        self.port = port
    }

    /// The address as a host part: IPv6 in brackets ("127.0.0.1", "[::1]"),
    /// so a port can follow. The one place brackets are added.
    public var hostText: String { family == .ipv6 ? "[\(addressText)]" : addressText }

    /// "127.0.0.1:5000", "[::1]:5000".
    public var text: String { "\(hostText):\(port)" }

    /// The address as inet_ntop(3) prints it: "127.0.0.1", "::1", "::ffff:127.0.0.1".
    public var addressText: String {
        var out = [CChar](repeating: 0, count: 64)
        let af = family == .ipv4 ? AF_INET : AF_INET6
        _ = address.withUnsafeBytes { src in inet_ntop(af, src.baseAddress, &out, socklen_t(out.count)) }
        return stringFromCBuffer(out)
    }

    /// True for 0.0.0.0 and ::, which accept connections on every address.
    public var isWildcard: Bool { address.allSatisfy { $0 == 0 } }
}

/// One socket of the kernel's TCP table.
public struct TCPSocket: Sendable, Equatable {
    public let local: Endpoint
    public let remote: Endpoint
    public let state: TCPState
    public let uid: UInt32
    /// 0 for sockets no file refers to (TIME_WAIT, orphans).
    public let inode: UInt64
    /// Set for a socket of another network namespace (a container, `ip
    /// netns`): it holds no port of this host.
    public var netns: NetNamespace? = nil

    public init(local: Endpoint, remote: Endpoint, state: TCPState, uid: UInt32, inode: UInt64) {
        self.local = local
        self.remote = remote
        self.state = state
        self.uid = uid
        self.inode = inode
    }
}
