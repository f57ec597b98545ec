/// The documented JSON shape of `portdash leases --json` (docs/commands.md), built in
/// one place for the command and for `serve`'s `/leases`: every lease of the
/// state file in port order with its status now, and the names' last-used ports.
public struct LeasesJSON: Sendable {
    public let statePath: String
    public let book: LeaseBook
    public let range: PortRange

    public init(statePath: String, book: LeaseBook, range: PortRange) {
        self.statePath = statePath
        self.book = book
        self.range = range
    }

    /// The object; `env` says each lease's status, `reader` names owners,
    /// `router` is where URLs go (RouteNames.url(of:via:); nil: direct).
    public func jsonValue(env: some LeaseEnvironment, reader: ProcessReader = ProcessReader(), router: RouterAddress?) -> JSONNode {
        let names = RouteNames(leases: book.leases)
        let items: [JSONNode] = book.leases.sorted { $0.port < $1.port }.map { l in
            let owner: JSONNode = l.owner.map { o in
                .object([("pid", .int(Int64(o.pid))), ("startTime", .uint(o.startTime)),
                         ("name", reader.name(of: o).map { .string($0) } ?? .null),
                         ("group", o.group.map { .string($0) } ?? .null),
                         ("supervisor", o.supervisor.map { .int(Int64($0.pid)) } ?? .null),
                         ("leftByKilledSupervisor", .bool(LeasePolicy.isLeftByKilledSupervisor(l, env: env)))])
            } ?? .null
            return .object([
                ("service", .string(l.service)), ("port", .uint(UInt64(l.port))), ("kind", .string(l.kind.rawValue)),
                ("status", .string(LeasePolicy.status(of: l, env: env).rawValue)), ("owner", owner),
                ("granted", .int(l.granted)), ("expires", l.expires.map { .int($0) } ?? .null),
                ("ttl", l.ttl.map { .int($0) } ?? .null), ("inRange", .bool(range.contains(l.port))),
                ("label", .string(l.label)), ("project", l.project.map(\.outputJSON) ?? .null),
                ("binds", l.binds.map { .uint(UInt64($0)) } ?? .null),
                ("url", .string(names.url(of: l, via: router))),
            ])
        }
        return .object([("state", .string(statePath)), ("leases", .array(items))] + lastUsedPairs())
    }

    /// `lastUsed` keeps its shape (names alone); a project's ports are in `projectLastUsed`.
    func lastUsedPairs() -> [(String, JSONNode)] {
        let plain = book.lastUsed.entries.filter { $0.key.project == nil }.sorted { $0.key.service < $1.key.service }
        let projects = book.lastUsed.entries.filter { $0.key.project != nil }.sorted { LeaseKey.ordered($0.key, $1.key) }
        let projectLastUsed: JSONNode = .array(projects.map { e in
            .object([("service", .string(e.key.service)), ("project", .string(e.key.project ?? "")),
                     ("portName", e.key.portName.map { .string($0) } ?? .null), ("port", .uint(UInt64(e.value)))])
        })
        return [("lastUsed", .object(plain.map { ($0.key.service, .uint(UInt64($0.value))) })), ("projectLastUsed", projectLastUsed)]
    }

    /// The text `leases --json` prints (without the newline).
    public func encoded(env: some LeaseEnvironment, reader: ProcessReader = ProcessReader(), router: RouterAddress?) -> String {
        jsonValue(env: env, reader: reader, router: router).serialized()
    }
}
