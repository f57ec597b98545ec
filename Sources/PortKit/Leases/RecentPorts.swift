/// service → the port it last held, in order of use (least recent first).
/// Bounded: past `limit` names the least recently used is forgotten, so a
/// script that leases under a new name each time cannot grow the file forever.
/// The state file keeps the order as the order of the `lastUsed` members.
public struct RecentPorts: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public static let limit = 1000

    private var order: [String] = []
    private var ports: [String: UInt16] = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, UInt16)...) {
        for (name, port) in elements { self[name] = port }
    }

    /// Setting a port makes the name the most recent; nil forgets it.
    public subscript(name: String) -> UInt16? {
        get { ports[name] }
        set {
            if ports[name] != nil { order.removeAll { $0 == name } }
            ports[name] = newValue
            guard newValue != nil else { return }
            order.append(name)
            if order.count > RecentPorts.limit { ports[order.removeFirst()] = nil }
        }
    }

    public var count: Int { order.count }

    /// Least recently used first.
    public var entries: [(key: String, value: UInt16)] { order.map { ($0, ports[$0] ?? 0) } }

    public func makeIterator() -> IndexingIterator<[(key: String, value: UInt16)]> { entries.makeIterator() }

    /// As the Dictionary this replaced: the matching names and their ports.
    public func filter(_ isIncluded: ((key: String, value: UInt16)) throws -> Bool) rethrows -> [String: UInt16] {
        try ports.filter(isIncluded)
    }
}

extension RecentPorts {
    /// From the file: every entry is checked, the last `limit` are kept.
    init(json node: JSONNode?) throws(LeaseBookProblem) {
        self.init()
        guard let node else { return }
        guard case .object(let members) = node else {
            throw LeaseBookProblem("field lastUsed has the wrong type (expected an object, found \(node.typeName))")
        }
        var checked: [(String, UInt16)] = []
        for m in members {
            checked.append((m.key, try FieldReader.port(m.value, named: "lastUsed[\"\(sanitized(String(m.key.prefix(64))))\"]")))
        }
        for (name, port) in checked.suffix(RecentPorts.limit) { self[name] = port }
    }

    var json: JSONNode { .object(entries.map { JSONMember($0.key, .integer($0.value)) }) }
}
