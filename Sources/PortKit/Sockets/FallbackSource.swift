/// Uses `primary`, and `fallback` if it ever fails (a seccomp filter, netlink
/// denied after the first try).
public struct FallbackSource: SocketTableSource {
    let primary: any SocketTableSource
    let fallback: any SocketTableSource
    public func sockets(in range: PortRange) throws(PortKitError) -> [TCPSocket] {
        if let s = try? primary.sockets(in: range) { return s }
        return try fallback.sockets(in: range)
    }
    public func listeners() throws(PortKitError) -> [TCPSocket] {
        if let s = try? primary.listeners() { return s }
        return try fallback.listeners()
    }
}
