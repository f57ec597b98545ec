/// lease key → the port it last held, in order of use (least recent first).
/// Bounded: past `limit` keys the least recently used is forgotten, so a
/// script that leases under a new name each time cannot grow the file forever.
/// The state file keeps the order as the order of the `lastUsed` entries.
/// A project's ports are remembered per checkout (the key holds its root),
/// which is what gives each worktree its own ports back.
public struct RecentPorts: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public static let limit = 1000

    private var order: [LeaseKey] = []
    private var ports: [LeaseKey: UInt16] = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, UInt16)...) {
        for (name, port) in elements { self[name] = port }
    }

    /// Setting a port makes the key the most recent; nil forgets it.
    public subscript(key: LeaseKey) -> UInt16? {
        get { ports[key] }
        set {
            if ports[key] != nil { order.removeAll { $0 == key } }
            ports[key] = newValue
            guard newValue != nil else { return }
            order.append(key)
            if order.count > RecentPorts.limit { ports[order.removeFirst()] = nil }
        }
    }

    /// A lease by name alone.
    public subscript(name: String) -> UInt16? {
        get { self[LeaseKey(service: name)] }
        set { self[LeaseKey(service: name)] = newValue }
    }

    public var count: Int { order.count }

    /// Least recently used first.
    public var entries: [(key: LeaseKey, value: UInt16)] { order.map { ($0, ports[$0] ?? 0) } }

    public func makeIterator() -> IndexingIterator<[(key: LeaseKey, value: UInt16)]> { entries.makeIterator() }

    /// The matching keys and their ports.
    public func filter(_ isIncluded: ((key: LeaseKey, value: UInt16)) throws -> Bool) rethrows -> [LeaseKey: UInt16] {
        try ports.filter(isIncluded)
    }
}

extension RecentPorts {
    /// From the file: every entry is checked, the last `limit` are kept.
    /// Version 1 wrote an object of names; version 2 writes an array of
    /// entries, since a project's key is more than one name.
    init(json node: JSONNode?, version: Int) throws(LeaseBookProblem) {
        self.init()
        guard let node else { return }
        var checked: [(LeaseKey, UInt16)] = []
        switch (node, version) {
        case (.object(let members), 1):
            for m in members {
                checked.append((LeaseKey(service: m.key), try FieldReader.port(m.value, named: "lastUsed[\"\(sanitized(String(m.key.prefix(64))))\"]")))
            }
        case (.array(let items), 2...):
            for (i, item) in items.enumerated() { checked.append(try RecentPorts.entry(item, path: "lastUsed[\(i)]")) }
        default:
            throw LeaseBookProblem("field lastUsed has the wrong type (expected \(version == 1 ? "an object" : "an array"), found \(node.typeName))")
        }
        for (key, port) in checked.suffix(RecentPorts.limit) { self[key] = port }
    }

    static let entryFields = ["service", "project", "portName", "port"]

    static func entry(_ node: JSONNode, path: String) throws(LeaseBookProblem) -> (LeaseKey, UInt16) {
        let f = try FieldReader(node, path: path)
        let key = LeaseKey(service: try f.string("service"), project: try f.optionalString("project"), portName: try f.optionalString("portName"))
        return (key, try f.port("port"))
    }

    /// `[{"service": "web", "port": 5001}, {"service": "api", "project": "/home/ann/shop", "port": 5002}]`
    var json: JSONNode {
        .array(entries.map { e in
            var m = [JSONMember("service", .string(e.key.service))]
            if let p = e.key.project { m.append(JSONMember("project", .string(p))) }
            if let n = e.key.portName { m.append(JSONMember("portName", .string(n))) }
            m.append(JSONMember("port", .integer(e.value)))
            return .object(m)
        })
    }
}
