import SystemPackage

/// Where the scanner gets the TCP sockets bound to the range's ports.
public protocol SocketTableSource: Sendable {
    func sockets(in range: PortRange) throws(PortKitError) -> [TCPSocket]
    /// The same, told which ports the bind probe found in use: a source that
    /// caches may use it to know when its cache cannot explain a port.
    func sockets(in range: PortRange, busy: Set<UInt16>) throws(PortKitError) -> [TCPSocket]
    /// Every listening socket, on any port (a source may ask the kernel for
    /// LISTEN only, which stays cheap however many connections there are).
    func listeners() throws(PortKitError) -> [TCPSocket]
}

extension SocketTableSource {
    public func sockets(in range: PortRange, busy: Set<UInt16>) throws(PortKitError) -> [TCPSocket] {
        try sockets(in: range)
    }

    /// Every listening socket of this network namespace, on any port.
    public func listeners() throws(PortKitError) -> [TCPSocket] {
        try sockets(in: .everyPort).filter { $0.state == .listen }
    }
}

/// Reads /proc/net/tcp and /proc/net/tcp6 under a proc root. Works
/// everywhere /proc does and on fixtures; costs about 1 µs per row of the
/// whole table, connections included. A socket the kernel printed twice
/// while its table changed is reported once.
public struct ProcNetTCPSource: SocketTableSource {
    public let root: ProcRoot
    public init(root: ProcRoot = .system) { self.root = root }

    public func sockets(in range: PortRange) throws(PortKitError) -> [TCPSocket] {
        var all: [TCPSocket] = []
        for (file, family) in [("net/tcp", AddressFamily.ipv4), ("net/tcp6", .ipv6)] {
            switch root.read(file) {
            case .success(let bytes):
                all += try NetTCPTable.parse(bytes, family: family, file: root.path + "/" + file, ports: range.ports)
            case .failure(.system(let e)):
                // No tcp6 just means IPv6 is disabled; no tcp means no usable /proc.
                if family == .ipv6 && e == .noSuchFileOrDirectory { continue }
                throw .procUnavailable(path: root.path + "/" + file, errno: e)
            case .failure(let tooLarge):
                // Never a part of the table: a listener past the cut would go unseen.
                throw .procFileTooLarge(path: root.path + "/" + file, why: tooLarge.description)
            }
        }
        return NetTCPTable.unique(all)
    }
}
