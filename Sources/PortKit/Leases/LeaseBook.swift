/// The lease database as stored in the state file (docs/state-file.md).
///
///     {
///       "version": 2,
///       "leases": [
///         {"service": "web", "port": 5001, "kind": "lease", "granted": 1795760000, "expires": 1795763600, "ttl": 3600, "owner": {"pid": 4242, "startTime": 123456}},
///         {"service": "api", "port": 5002, "kind": "lease", "granted": 1795760000, "owner": {"pid": 4250, "startTime": 123470},
///          "project": {"root": "/home/ann/shop", "name": "shop@main", "command": "python3 api.py", "ready": "port"}}
///       ],
///       "lastUsed": [
///         {"service": "web", "port": 5001},
///         {"service": "api", "project": "/home/ann/shop", "port": 5002}
///       ]
///     }
///
/// Version 1 (before projects) had no `project` and an object of names for
/// `lastUsed`; it is read as it is and written as version 2 on the next change.
///
/// Read with a strict parser of our own rather than JSONDecoder, which keeps
/// one of two duplicate keys silently, drops fields it does not know (a newer
/// portdash's data) and calls out-of-range numbers "not valid JSON".
public struct LeaseBook: Sendable, Equatable {
    public static let currentVersion = 2
    /// Versions this portdash reads; older ones are upgraded when next written.
    public static let readableVersions = 1...2
    /// Ten years: longer is a typo, and keeps time arithmetic far from overflow.
    public static let maxTTL: Int64 = 10 * 365 * 86400
    /// 9999-12-31.
    public static let maxTime: Int64 = 253_402_300_799
    static let fields = ["version", "leases", "lastUsed"]

    /// The version the file had when read (a new book: the current one).
    /// Every write is in the current version.
    public var version: Int
    public var leases: [Lease]
    /// lease key → the port it last held: after a release or an expiry the
    /// service still prefers it (Kea's hold-reclaimed affinity).
    public var lastUsed: RecentPorts
    /// Top-level fields this version does not know, kept for the version that wrote them.
    public var extra: [JSONMember] = []

    public init(leases: [Lease] = [], lastUsed: RecentPorts = [:]) {
        self.version = LeaseBook.currentVersion
        self.leases = leases
        self.lastUsed = lastUsed
    }

    /// The lease of a service by name alone (not a project's).
    public func lease(for service: String) -> Lease? { lease(for: LeaseKey(service: service)) }
    public func lease(for key: LeaseKey) -> Lease? { leases.first { $0.key == key } }
    public func lease(on port: UInt16) -> Lease? { leases.first { $0.port == port } }

    // MARK: reading and writing

    /// Parses and validates the file's bytes. Every problem becomes one line
    /// naming what is wrong; nothing is guessed or repaired here.
    public static func decode(_ bytes: [UInt8]) throws(LeaseBookProblem) -> LeaseBook {
        if bytes.isEmpty { throw LeaseBookProblem("is empty (0 bytes)") }
        if bytes.allSatisfy({ $0 == 32 || $0 == 10 || $0 == 9 || $0 == 13 }) { throw LeaseBookProblem("holds only white space") }
        let book = try LeaseBook(json: try StrictJSONParser.parse(bytes))
        try book.validate()
        return book
    }

    init(json root: JSONNode) throws(LeaseBookProblem) {
        let top = try FieldReader(root, path: "")
        // The version first, so a newer file is reported as such, not as a type error.
        guard top.optional("version") != nil else { throw LeaseBookProblem("has no \"version\" field; it is not a portdash state file") }
        let version = try top.integer("version")
        guard version >= Int64(LeaseBook.readableVersions.lowerBound) && version <= Int64(LeaseBook.readableVersions.upperBound) else {
            throw LeaseBookProblem("has schema version \(version), this portdash reads versions \(LeaseBook.readableVersions.lowerBound) to \(LeaseBook.currentVersion)"
                + (version > Int64(LeaseBook.currentVersion) ? "; a newer portdash wrote it: use that one" : "; use the portdash that wrote it"))
        }
        self.version = Int(version)
        leases = []
        for (i, item) in try top.array("leases").enumerated() {
            leases.append(try Lease(json: item, path: "leases[\(i)]"))
        }
        lastUsed = try RecentPorts(json: top.optional("lastUsed"), version: Int(version))
        extra = top.unknown(besides: LeaseBook.fields)
    }

    /// Stable, readable bytes in the current version: one lease per line in
    /// port order, lastUsed in order of use, unknown fields after the known ones.
    public func encoded() -> [UInt8] {
        let members = [JSONMember("version", .integer(LeaseBook.currentVersion)),
                       JSONMember("leases", .array(leases.sorted { $0.port < $1.port }.map(\.json))),
                       JSONMember("lastUsed", lastUsed.json)] + extra
        var out = ""
        JSONNode.object(members).write(into: &out, layout: .pretty(expand: 2))
        return Array(out.utf8) + [10]
    }

    /// Checks what the types alone cannot: port numbers, uniqueness, names.
    public func validate() throws(LeaseBookProblem) {
        var ports = Set<UInt16>()
        var keys = Set<LeaseKey>()
        for (i, l) in leases.enumerated() {
            if l.port == 0 { throw LeaseBookProblem("leases[\(i)]: port 0 is not a port") }
            if let why = ServiceName.problem(l.service) { throw LeaseBookProblem("leases[\(i)]: service \(why)") }
            if let why = l.project?.problem() { throw LeaseBookProblem("leases[\(i)]: \(why)") }
            if !ports.insert(l.port).inserted { throw LeaseBookProblem("port \(l.port) is leased twice (leases[\(i)] \"\(l.label)\")") }
            if !keys.insert(l.key).inserted { throw LeaseBookProblem("service \"\(l.label)\" has two leases (leases[\(i)])") }
            if l.kind == .reservation && (l.expires != nil) { throw LeaseBookProblem("leases[\(i)]: a reservation cannot expire") }
            if let o = l.owner, o.pid <= 0 { throw LeaseBookProblem("leases[\(i)]: owner pid \(o.pid) is not a process") }
            if let ttl = l.ttl, ttl <= 0 || ttl > LeaseBook.maxTTL {
                throw LeaseBookProblem("leases[\(i)]: ttl \(ttl) is not between 1 and \(LeaseBook.maxTTL) seconds")
            }
            for (name, t) in [("granted", l.granted), ("expires", l.expires ?? 0)] where t < 0 || t > LeaseBook.maxTime {
                throw LeaseBookProblem("leases[\(i)]: \(name) \(t) is not a time between 1970 and 9999")
            }
            if let o = l.owner, o.startTime > UInt64(Int64.max) { throw LeaseBookProblem("leases[\(i)]: owner startTime \(o.startTime) is out of range") }
        }
        for (key, port) in lastUsed {
            if port == 0 { throw LeaseBookProblem("lastUsed[\"\(key)\"]: port 0 is not a port") }
            if let why = ServiceName.problem(key.service) { throw LeaseBookProblem("lastUsed: service \(why)") }
            if let root = key.project, !root.hasPrefix("/") { throw LeaseBookProblem("lastUsed: project \"\(sanitized(String(root.prefix(64))))\" is not an absolute path") }
            if let p = key.portName, let why = ServiceName.problem(p) { throw LeaseBookProblem("lastUsed: port \(why)") }
        }
    }
}

/// What is wrong with a state file's contents (the path is added by the store).
public struct LeaseBookProblem: Error, Equatable, Sendable {
    public let text: String
    public init(_ text: String) { self.text = text }
}

/// Service names are what users type and what scripts pass: keep them to a
/// safe, printable set.
public enum ServiceName {
    public static func problem(_ name: String) -> String? {
        if name.isEmpty { return "name is empty" }
        if name.utf8.count > 64 { return "name \"\(sanitized(String(name.prefix(20))))…\" is longer than 64 characters (\(name.utf8.count) bytes); use a shorter name" }
        let ok = name.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "-" || u == "_" || u == "." || u == "@" || u == ":" || u == "/"
        }
        if !ok { return "name \"\(sanitized(name))\" may only use letters, digits and - _ . @ : /" }
        if name.allSatisfy(\.isNumber) { return "name \"\(name)\" is a number; names must not look like ports" }
        return nil
    }
}
