/// A process a lease is bound to: the pid alone is not enough (pids are
/// reused), so the start time from /proc/PID/stat field 22 goes with it.
///
/// A service run by `up` or `run` is also a kernel group (`group`, a
/// cgroup v2 path): then the group is the leaseholder, every process in it
/// holds the lease — a daemon that forked away included — and the lease
/// lasts while the group has a process. `supervisor` is the `up` or `run`
/// that runs the service: when it is gone but the service is not, the
/// service was left by a killed supervisor.
public struct LeaseOwner: Sendable, Equatable, Hashable {
    public var pid: Int32
    public var startTime: UInt64
    public var group: String?
    public var supervisor: ProcessStamp?
    public init(pid: Int32, startTime: UInt64, group: String? = nil, supervisor: ProcessStamp? = nil) {
        self.pid = pid; self.startTime = startTime; self.group = group; self.supervisor = supervisor
    }

    /// The owner process alone, without group or supervisor.
    public var process: ProcessStamp { ProcessStamp(pid: pid, startTime: startTime) }
}

/// One process for its lifetime: pid and start time (/proc/PID/stat field 22).
public struct ProcessStamp: Sendable, Equatable, Hashable {
    public var pid: Int32
    public var startTime: UInt64
    public init(pid: Int32, startTime: UInt64) { self.pid = pid; self.startTime = startTime }
}

/// One port handed to one service name.
public struct Lease: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// Static, never expires (a DHCP host reservation).
        case reservation
        /// Dynamic: ends with its owner process or its TTL.
        case lease
    }

    public var service: String
    public var port: UInt16
    public var kind: Kind
    /// Seconds since the epoch.
    public var granted: Int64
    /// Seconds since the epoch; nil for reservations and for process-bound
    /// leases without a TTL (they last as long as the process).
    public var expires: Int64?
    public var owner: LeaseOwner?
    /// The TTL the lease was granted with, reapplied on renewal.
    public var ttl: Int64?

    /// The project and port name of a project's lease; nil for a lease by name alone.
    public var project: LeaseProject?

    /// The port the program binds by itself (`binds = 3000`, `run --binds`),
    /// moved to this lease's port: what status and the dashboard say with it.
    public var binds: UInt16?

    /// Fields this version does not know, kept for the version that wrote them.
    public var extra: [JSONMember] = []

    public init(service: String, port: UInt16, kind: Kind, granted: Int64, expires: Int64? = nil,
                owner: LeaseOwner? = nil, ttl: Int64? = nil, project: LeaseProject? = nil) {
        self.service = service; self.port = port; self.kind = kind; self.granted = granted
        self.expires = expires; self.owner = owner; self.ttl = ttl; self.project = project
    }

    /// Whose lease this is: one per key in a book.
    public var key: LeaseKey { LeaseKey(service: service, project: project?.root, portName: project?.portName) }

    /// The service as people read it: "web", or "web · shop@feature-x" and
    /// "web.debug · shop@feature-x" for a project's ports.
    public var label: String {
        guard let project else { return service }
        return (project.portName.map { service + "." + $0 } ?? service) + " · " + project.name
    }

    /// What a lease whose supervisor is gone but whose service runs is
    /// called: a project's was left by an `up` that was killed (the next up
    /// in the checkout stops it); a `run`'s by a run that ended or was killed.
    public var leftBehindText: String { project == nil ? "left behind by its portdash run" : "left by a killed up" }

    /// The label with the hard-coded port it stands for:
    /// "web · shop@feature-x binds 3000" (the SERVICE column).
    public var labelWithBinds: String { label + (binds.map { " binds \($0)" } ?? "") }
}

/// How a lease stands right now.
public enum LeaseStatus: String, Codable, Sendable {
    /// A reservation: always holds its port.
    case reserved
    /// Valid, and its holder is listening (or its owner process is alive).
    case active
    /// Valid, but nothing listens on the port.
    case idle
    /// Past its TTL, or its owner process is gone: the port is back in the pool.
    case expired
}

// MARK: the state file's form

extension LeaseOwner {
    init(json node: JSONNode, path: String) throws(LeaseBookProblem) {
        let f = try FieldReader(node, path: path)
        pid = Int32(try f.integer("pid", in: Int64(Int32.min)...Int64(Int32.max)))
        startTime = UInt64(try f.integer("startTime", in: 0...Int64.max))
        group = try f.optionalString("group")
        supervisor = try f.optional("supervisor").map { (s: JSONNode) throws(LeaseBookProblem) in
            let g = try FieldReader(s, path: f.name("supervisor"))
            return ProcessStamp(pid: Int32(try g.integer("pid", in: 1...Int64(Int32.max))),
                                startTime: UInt64(try g.integer("startTime", in: 0...Int64.max)))
        }
    }

    var json: JSONNode {
        var m = [JSONMember("pid", .integer(pid)), JSONMember("startTime", .integer(startTime))]
        if let group { m.append(JSONMember("group", .string(group))) }
        if let s = supervisor {
            m.append(JSONMember("supervisor", .object([JSONMember("pid", .integer(s.pid)), JSONMember("startTime", .integer(s.startTime))])))
        }
        return .object(m)
    }
}

extension Lease {
    static let fields = ["service", "port", "kind", "granted", "expires", "ttl", "owner", "project", "binds"]

    init(json node: JSONNode, path: String) throws(LeaseBookProblem) {
        let f = try FieldReader(node, path: path)
        service = try f.string("service")
        port = try f.port("port")
        let kindText = try f.string("kind")
        guard let kind = Kind(rawValue: kindText) else {
            throw LeaseBookProblem("field \(f.name("kind")): \"\(sanitized(String(kindText.prefix(64))))\" is neither \"lease\" nor \"reservation\"")
        }
        self.kind = kind
        granted = try f.integer("granted")
        expires = try f.optionalInteger("expires")
        ttl = try f.optionalInteger("ttl")
        owner = try f.optional("owner").map { (o: JSONNode) throws(LeaseBookProblem) in try LeaseOwner(json: o, path: f.name("owner")) }
        project = try f.optional("project").map { (p: JSONNode) throws(LeaseBookProblem) in try LeaseProject(json: p, path: f.name("project")) }
        binds = try f.optional("binds").map { (_: JSONNode) throws(LeaseBookProblem) in try f.port("binds") }
        if binds == 0 { throw LeaseBookProblem("field \(f.name("binds")): 0 is not a port a program binds") }
        extra = f.unknown(besides: Lease.fields)
    }

    /// Known fields in docs/state-file.md's order, then the unknown ones.
    var json: JSONNode {
        var m = [JSONMember("service", .string(service)), JSONMember("port", .integer(port)),
                 JSONMember("kind", .string(kind.rawValue)), JSONMember("granted", .integer(granted))]
        if let expires { m.append(JSONMember("expires", .integer(expires))) }
        if let ttl { m.append(JSONMember("ttl", .integer(ttl))) }
        if let owner { m.append(JSONMember("owner", owner.json)) }
        if let project { m.append(JSONMember("project", project.json)) }
        if let binds { m.append(JSONMember("binds", .integer(binds))) }
        return .object(m + extra)
    }
}
