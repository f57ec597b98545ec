/// The lease database as stored in the state file (README: "The state file").
///
///     {
///       "version": 1,
///       "leases": [
///         {"service": "web", "port": 5001, "kind": "lease", "granted": 1795760000, "expires": 1795763600, "ttl": 3600, "owner": {"pid": 4242, "startTime": 123456}}
///       ],
///       "lastUsed": {
///         "web": 5001
///       }
///     }
///
/// Read with a strict parser of our own rather than JSONDecoder, which keeps
/// one of two duplicate keys silently, drops fields it does not know (a newer
/// portdash's data) and calls out-of-range numbers "not valid JSON".
public struct LeaseBook: Sendable, Equatable {
    public static let currentVersion = 1
    /// Ten years: longer is a typo, and keeps time arithmetic far from overflow.
    public static let maxTTL: Int64 = 10 * 365 * 86400
    /// 9999-12-31.
    public static let maxTime: Int64 = 253_402_300_799
    static let fields = ["version", "leases", "lastUsed"]

    public var version: Int
    public var leases: [Lease]
    /// service → the port it last held: after a release or an expiry the
    /// service still prefers it (Kea's hold-reclaimed affinity).
    public var lastUsed: RecentPorts
    /// Top-level fields this version does not know, kept for the version that wrote them.
    public var extra: [JSONMember] = []

    public init(leases: [Lease] = [], lastUsed: RecentPorts = [:]) {
        self.version = LeaseBook.currentVersion
        self.leases = leases
        self.lastUsed = lastUsed
    }

    public func lease(for service: String) -> Lease? { leases.first { $0.service == service } }
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
        guard version == LeaseBook.currentVersion else {
            throw LeaseBookProblem("has schema version \(version), this portdash reads version \(LeaseBook.currentVersion); use the portdash that wrote it")
        }
        self.version = Int(version)
        leases = []
        for (i, item) in try top.array("leases").enumerated() {
            leases.append(try Lease(json: item, path: "leases[\(i)]"))
        }
        lastUsed = try RecentPorts(json: top.optional("lastUsed"))
        extra = top.unknown(besides: LeaseBook.fields)
    }

    /// Stable, readable bytes: one lease per line in port order, lastUsed in
    /// order of use, unknown fields after the known ones.
    public func encoded() -> [UInt8] {
        let members = [JSONMember("version", .integer(version)),
                       JSONMember("leases", .array(leases.sorted { $0.port < $1.port }.map(\.json))),
                       JSONMember("lastUsed", lastUsed.json)] + extra
        var out = ""
        JSONNode.object(members).writePretty(into: &out, expand: 2)
        return Array(out.utf8) + [10]
    }

    /// Checks what the types alone cannot: port numbers, uniqueness, names.
    public func validate() throws(LeaseBookProblem) {
        var ports = Set<UInt16>()
        var names = Set<String>()
        for (i, l) in leases.enumerated() {
            if l.port == 0 { throw LeaseBookProblem("leases[\(i)]: port 0 is not a port") }
            if let why = ServiceName.problem(l.service) { throw LeaseBookProblem("leases[\(i)]: service \(why)") }
            if !ports.insert(l.port).inserted { throw LeaseBookProblem("port \(l.port) is leased twice (leases[\(i)] \"\(l.service)\")") }
            if !names.insert(l.service).inserted { throw LeaseBookProblem("service \"\(l.service)\" has two leases (leases[\(i)])") }
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
        for (name, port) in lastUsed {
            if port == 0 { throw LeaseBookProblem("lastUsed[\"\(name)\"]: port 0 is not a port") }
            if let why = ServiceName.problem(name) { throw LeaseBookProblem("lastUsed: service \(why)") }
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
