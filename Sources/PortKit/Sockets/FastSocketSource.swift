/// The fastest socket source this machine offers: sock_diag when the
/// kernel answers it, else /proc/net/tcp{,6}. Decided once, by trying.
public enum FastSocketSource {
    public static func best(root: ProcRoot = .system) -> any SocketTableSource {
        guard root == .system else { return ProcNetTCPSource(root: root) }
        if (try? SockDiagSource().sockets(in: PortRange(uncheckedFirst: 1, last: 1))) != nil {
            return FallbackSource(primary: SockDiagSource(), fallback: ProcNetTCPSource(root: root))
        }
        return ProcNetTCPSource(root: root)
    }
}

/// Uses `primary`, and `fallback` if it ever fails (a seccomp filter, netlink
/// denied after the first try).
public struct FallbackSource: SocketTableSource {
    let primary: any SocketTableSource
    let fallback: any SocketTableSource
    public func sockets(in range: PortRange) throws(PortKitError) -> [TCPSocket] {
        if let s = try? primary.sockets(in: range) { return s }
        return try fallback.sockets(in: range)
    }
}
