import CLinux
import SystemPackage
import Glibc

/// What one bind(2) attempt said.
public enum BindOutcome: Sendable, Equatable, CustomStringConvertible {
    case free
    /// EADDRINUSE: some socket holds the port on this family.
    case inUse
    /// The family is not available here (IPv6 disabled): says nothing about the port.
    case unsupported
    /// Any other failure (EACCES below 1024 without privilege, EMFILE, …).
    case failed(Errno)

    public var description: String {
        switch self {
        case .free: return "free"
        case .inUse: return "in use"
        case .unsupported: return "unsupported"
        case .failed(let e): return "error: \(errnoText(e))"
        }
    }
}

/// Both families' answers for one port.
public struct ProbeResult: Sendable, Equatable {
    public let ipv4: BindOutcome
    public let ipv6: BindOutcome
    public init(ipv4: BindOutcome, ipv6: BindOutcome) { self.ipv4 = ipv4; self.ipv6 = ipv6 }

    /// Free means a server could bind it on every family this host has.
    public var isFree: Bool {
        ipv4 == .free && (ipv6 == .free || ipv6 == .unsupported)
    }
    public var isInUse: Bool { ipv4 == .inUse || ipv6 == .inUse }
}

/// Anything that can say whether a port is free; the real one binds, tests
/// inject one that answers from a table.
public protocol PortProbing: Sendable {
    func probe(_ port: UInt16) -> ProbeResult
}

/// Binds a port the way a server does, to see whether one could: the
/// wildcard address on IPv4 and, separately (IPV6_V6ONLY), on IPv6, with
/// SO_REUSEADDR as every common server sets it (never SO_REUSEPORT, which
/// would let the probe share a port with a listener). The wildcard conflicts
/// with a listener on any single address, so this is the strictest honest
/// test. With SO_REUSEADDR a TIME_WAIT of a server that set it too is no
/// conflict, as it is none for the next server; what such a bind cannot see
/// (a bound socket that does not listen, a connection the old server left)
/// PortOccupancy reads from the socket table. The socket is closed without
/// listen(), so probing leaves nothing behind, and a server binding at the
/// same moment does not fail on it (both have SO_REUSEADDR, neither listens).
public struct BindProbe: PortProbing {
    public init() {}

    public func probe(_ port: UInt16) -> ProbeResult {
        ProbeResult(ipv4: bind(port, family: AF_INET), ipv6: bind(port, family: AF_INET6))
    }

    public func bind(_ port: UInt16, family: Int32) -> BindOutcome {
        let fd: FileDescriptor
        switch Syscalls.openSocket(family, Int32(SOCK_STREAM.rawValue), 0) {
        case .success(let s): fd = s
        case .failure(.addressFamilyNotSupported): return .unsupported
        case .failure(let e): return .failed(e)
        }
        defer { try? fd.close() }
        if case .failure(let e) = Syscalls.enable(SO_REUSEADDR, level: SOL_SOCKET, on: fd) { return .failed(e) }
        if family == AF_INET6, case .failure(let e) = Syscalls.enable(IPV6_V6ONLY, level: Int32(IPPROTO_IPV6), on: fd) {
            return .failed(e)
        }
        let rc = SocketAddress.bind(fd.rawValue, host: nil, port: port, ipv6: family == AF_INET6)
        if rc == 0 { return .free }
        switch Errno(rawValue: errno) {
        case .addressInUse: return .inUse
        case .addressNotAvailable where family == AF_INET6: return .unsupported
        case let e: return .failed(e)
        }
    }
}
