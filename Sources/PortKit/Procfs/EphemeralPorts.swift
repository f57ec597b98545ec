/// The kernel's ephemeral port range: the local ports it picks for outgoing
/// connections (`net.ipv4.ip_local_port_range`, minus
/// `net.ipv4.ip_local_reserved_ports`). A pool inside it loses ports at
/// random to any client on the machine.
public struct EphemeralPorts: Sendable, Equatable {
    public let range: ClosedRange<UInt16>
    public let reserved: [ClosedRange<UInt16>]

    /// Read from /proc/sys; nil where it cannot be read (a fixture, a sandbox).
    public init?(root: ProcRoot = .system) {
        guard case .success(let raw) = root.read("sys/net/ipv4/ip_local_port_range") else { return nil }
        let reservedText = (try? root.read("sys/net/ipv4/ip_local_reserved_ports").get()).map { String(decoding: $0, as: UTF8.self) } ?? ""
        self.init(rangeText: String(decoding: raw, as: UTF8.self), reservedText: reservedText)
    }

    /// "32768\t60999\n" and "5000-5010,8080\n" (the files' formats).
    public init?(rangeText: String, reservedText: String) {
        let bounds = rangeText.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).compactMap { UInt16($0) }
        guard bounds.count == 2, bounds[0] <= bounds[1] else { return nil }
        range = bounds[0]...bounds[1]
        reserved = reservedText.split(whereSeparator: { $0 == "," || $0 == "\n" }).compactMap { item in
            let ends = item.split(separator: "-").compactMap { UInt16(String($0).trimming()) }
            guard let a = ends.first, let b = ends.last, a <= b else { return nil }
            return a...b
        }
    }

    /// The pool's ports that outgoing connections may take.
    public func exposed(_ pool: PortRange) -> [UInt16] {
        pool.ports.filter { port in range.contains(port) && !reserved.contains { $0.contains(port) } }
    }

    /// One line naming the problem and both fixes, or nil when the pool is safe.
    public func warning(for pool: PortRange) -> String? {
        let exposed = exposed(pool)
        guard let first = exposed.first, let last = exposed.last else { return nil }
        return "the pool \(pool) overlaps the ephemeral port range \(range.lowerBound)-\(range.upperBound) "
            + "(\(exposed.count) ports): outgoing connections can take them at random; move the pool (--range), "
            + "or reserve it: sudo sysctl -w net.ipv4.ip_local_reserved_ports=\(first)-\(last)"
    }
}
