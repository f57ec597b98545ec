import ArgumentParser
import PortKit

struct Leases: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases",
        abstract: "List leases and reservations with their status (reserved, active, idle, expired) and owner.",
        discussion: "A project's ports show with their project: \"web · shop@feature-x\" (directory and git branch).")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON (documented in the README).")
    var json = false

    func run() throws {
        let ctx = try Context(global)
        let book = try core { () throws(PortKitError) in try ctx.store.load() }
        let env = ctx.environment()
        let leases = book.leases.sorted { $0.port < $1.port }
        if json {
            writeOut(jsonText(book, leases, ctx: ctx, env: env) + "\n")
        } else if leases.isEmpty {
            writeOut("no leases (state: \(sanitized(ctx.store.path)))\n")
        } else {
            writeOut(table(leases, ctx: ctx, env: env))
        }
    }

    func table(_ leases: [Lease], ctx: Context, env: SystemLeaseEnvironment) -> String {
        let reader = ProcessReader()
        var rows: [[String]] = []
        for l in leases {
            let owner = l.owner.map { o -> String in
                return reader.name(of: o).map { "\($0) (pid \(o.pid))" } ?? "pid \(o.pid) (gone)"
            } ?? "-"
            let expires = l.kind == .reservation ? "never" : l.expires.map { relativeTime($0, now: env.now) } ?? "with owner"
            rows.append([l.label, String(l.port) + (ctx.range.contains(l.port) ? "" : "*"), l.kind.rawValue,
                         LeasePolicy.status(of: l, env: env).rawValue, owner, expires].map(sanitized))
        }
        let table = TextTable(["SERVICE", "PORT", "KIND", "STATUS", "OWNER", "EXPIRES"].map { TextTable.Column($0) })
        var out = table.render(rows, width: nil)
        if leases.contains(where: { !ctx.range.contains($0.port) }) { out += "* outside the pool \(ctx.range)\n" }
        return out
    }

    /// `lastUsed` keeps its shape (names alone); a project's ports are in `projectLastUsed`.
    func jsonText(_ book: LeaseBook, _ leases: [Lease], ctx: Context, env: SystemLeaseEnvironment) -> String {
        let reader = ProcessReader()
        let items: [JSONValue] = leases.map { l in
            let owner: JSONValue = l.owner.map { o in
                .object([("pid", .int(Int64(o.pid))), ("startTime", .uint(o.startTime)),
                         ("name", reader.name(of: o).map { .string($0) } ?? .null)])
            } ?? .null
            return .object([
                ("service", .string(l.service)), ("port", .uint(UInt64(l.port))), ("kind", .string(l.kind.rawValue)),
                ("status", .string(LeasePolicy.status(of: l, env: env).rawValue)), ("owner", owner),
                ("granted", .int(l.granted)), ("expires", l.expires.map { .int($0) } ?? .null),
                ("ttl", l.ttl.map { .int($0) } ?? .null), ("inRange", .bool(ctx.range.contains(l.port))),
                ("label", .string(l.label)), ("project", l.project.map(JSONValue.init(project:)) ?? .null),
            ])
        }
        let plain = book.lastUsed.entries.filter { $0.key.project == nil }.sorted { $0.key.service < $1.key.service }
        let projects = book.lastUsed.entries.filter { $0.key.project != nil }.sorted { LeaseKey.ordered($0.key, $1.key) }
        let lastUsed: JSONValue = .object(plain.map { ($0.key.service, .uint(UInt64($0.value))) })
        let projectLastUsed: JSONValue = .array(projects.map { e in
            .object([("service", .string(e.key.service)), ("project", .string(e.key.project ?? "")),
                     ("portName", e.key.portName.map { .string($0) } ?? .null), ("port", .uint(UInt64(e.value)))])
        })
        return JSONValue.object([("state", .string(ctx.store.path)), ("leases", .array(items)), ("lastUsed", lastUsed),
                                 ("projectLastUsed", projectLastUsed)]).serialized()
    }
}
