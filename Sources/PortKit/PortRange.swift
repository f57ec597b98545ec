/// A contiguous pool of ports, like a DHCP address pool.
public struct PortRange: Sendable, Equatable, Hashable, CustomStringConvertible, Codable {
    public static let `default` = PortRange(uncheckedFirst: 5000, last: 5010)
    /// 1-65535: for queries over every port (not a pool).
    public static let everyPort = PortRange(uncheckedFirst: 1, last: 65535)
    /// A pool wider than this is almost certainly a typo, and would make every
    /// scan and the dashboard needlessly slow.
    public static let maximumWidth = 1024

    public let first: UInt16
    public let last: UInt16

    public init(uncheckedFirst first: UInt16, last: UInt16) {
        self.first = first
        self.last = last
    }

    public init(first: Int, last: Int) throws(PortKitError) {
        guard (1...65535).contains(first), (1...65535).contains(last) else {
            throw .invalidRange("range \(first)-\(last): ports must be between 1 and 65535; use e.g. --range 5000-5010")
        }
        guard first <= last else {
            throw .invalidRange("range \(first)-\(last): the first port is above the last; write it as --range \(last)-\(first)")
        }
        guard last - first + 1 <= PortRange.maximumWidth else {
            throw .invalidRange("range \(first)-\(last): \(last - first + 1) ports is wider than the \(PortRange.maximumWidth) allowed; pick a smaller pool such as --range \(first)-\(first + 10)")
        }
        self.first = UInt16(first)
        self.last = UInt16(last)
    }

    /// Parses "FIRST-LAST" (or a single "PORT").
    public init(parsing text: String) throws(PortKitError) {
        let trimmed = text.trimming()
        let parts = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
              let a = Int(parts[0]), let b = Int(parts.count == 2 ? parts[1] : parts[0]) else {
            throw .invalidRange("range \"\(text)\" is not FIRST-LAST; write it as e.g. --range 5000-5010")
        }
        try self.init(first: a, last: b)
    }

    /// A filter over any ports ("3000-9000"), not a pool: no width limit.
    public static func filter(parsing text: String) throws(PortKitError) -> PortRange {
        let parts = text.trimming().split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let a = UInt16(parts[0]), let b = UInt16(parts.count == 2 ? parts[1] : parts[0]),
              a >= 1, a <= b else {
            throw .invalidRange("ports \"\(text)\" are not FIRST-LAST between 1 and 65535; write e.g. 3000-9000")
        }
        return PortRange(uncheckedFirst: a, last: b)
    }

    public var ports: ClosedRange<UInt16> { first...last }
    public var count: Int { Int(last) - Int(first) + 1 }
    public func contains(_ port: UInt16) -> Bool { port >= first && port <= last }
    public var description: String { "\(first)-\(last)" }
}
