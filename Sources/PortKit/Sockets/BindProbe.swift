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

/// Proves a port free the way a server would find it: bind the wildcard
/// address on IPv4 and, separately (IPV6_V6ONLY), on IPv6. The wildcard
/// conflicts with a listener on any single address, so this is the strictest
/// honest test. SO_REUSEADDR is deliberately *not* set: a port that passes
/// can be bound by any server, including those that do not set it (a
/// TIME_WAIT left by a previous run blocks those). The socket is closed
/// without listen(), so probing leaves nothing behind.
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
        if family == AF_INET6 {
            var on: Int32 = 1
            setsockopt(fd.rawValue, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
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
