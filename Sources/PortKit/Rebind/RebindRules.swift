/// Which ports a supervised program's own bind(2) and connect(2) reach
/// instead of those it names (`binds = 3000`, docs/hard-coded-ports.md).
public struct RebindRules: Sendable, Equatable {
    public enum Call: Sendable { case bind, connect }

    /// This service's hard-coded ports → its leased ones, for bind: on any address.
    public var binds: [UInt16: UInt16]
    /// Every hard-coded port of the checkout → its leased one, for connect:
    /// to a loopback address only (a database on the host's 5432 and the
    /// internet are reached as before).
    public var connects: [UInt16: UInt16]

    public init(binds: [UInt16: UInt16], connects: [UInt16: UInt16]) {
        self.binds = binds; self.connects = connects
    }

    /// The address the call should use instead, or nil: let it go on as the
    /// program made it (another family, port 0, a port not moved, a remote
    /// address).
    public func rewritten(_ call: Call, _ bytes: [UInt8]) -> [UInt8]? {
        guard var address = RawSocketAddress(bytes), address.port != 0 else { return nil }
        let target: UInt16?
        switch call {
        case .bind: target = binds[address.port]
        case .connect: target = address.isLoopback ? connects[address.port] : nil
        }
        guard let target, target != address.port else { return nil }
        address.port = target
        return address.bytes
    }
}
