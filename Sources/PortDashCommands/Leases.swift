import ArgumentParser
import PortDashCLI
import PortKit

struct Leases: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leases",
        abstract: "List leases and reservations with their status (reserved, active, idle, expired) and owner.",
        discussion: "A project's ports show with their project: \"web · shop@feature-x\" (directory and git branch).")

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Print JSON (documented in docs/commands.md).")
    var json = false

    func run() throws {
        let ctx = try Context(global)
        let book = try Output.core { () throws(PortKitError) in try ctx.store.load() }
        let env = ctx.environment()
        let leases = book.leases.sorted { $0.port < $1.port }
        if json {
            Output.writeOut(LeasesJSON(statePath: ctx.store.path, book: book, range: ctx.range).encoded(env: env, router: RouterAddress.current(statePath: ctx.store.path)) + "\n")
        } else if leases.isEmpty {
            Output.writeOut("no leases (state: \(sanitized(ctx.store.path)))\n")
        } else {
            Output.writeOut(table(leases, ctx: ctx, env: env))
        }
    }

    func table(_ leases: [Lease], ctx: Context, env: SystemLeaseEnvironment) -> String {
        let reader = ProcessReader()
        var rows: [[String]] = []
        for l in leases {
            let owner = l.owner.map { o -> String in
                if let g = o.group { return "cgroup \(g)" + (reader.name(of: o).map { " (\($0), pid \(o.pid))" } ?? "") }
                return reader.name(of: o).map { "\($0) (pid \(o.pid))" } ?? "pid \(o.pid) (gone)"
            } ?? "-"
            let left = LeasePolicy.isLeftByKilledSupervisor(l, env: env) ? " (\(l.leftBehindText))" : ""
            let expires = l.kind == .reservation ? "never" : l.expires.map { relativeTime($0, now: env.now) } ?? "with owner"
            rows.append([l.labelWithBinds, String(l.port) + (ctx.range.contains(l.port) ? "" : "*"), l.kind.rawValue,
                         LeasePolicy.status(of: l, env: env).rawValue + left, owner, expires].map(sanitized))
        }
        let table = TextTable(["SERVICE", "PORT", "KIND", "STATUS", "OWNER", "EXPIRES"].map { TextTable.Column($0) })
        var out = table.render(rows, width: nil)
        if leases.contains(where: { !ctx.range.contains($0.port) }) { out += "* outside the pool \(ctx.range)\n" }
        return out
    }
}

/// "in 42m", "3h ago": lease times as people read them.
func relativeTime(_ t: Int64, now: Int64) -> String {
    let d = t.subtractingReportingOverflow(now).partialValue
    let a = d == .min ? Int64.max : abs(d)
    let text: String
    if a < 60 { text = "\(a)s" } else if a < 3600 { text = "\(a / 60)m" } else if a < 86400 { text = "\(a / 3600)h\((a % 3600) / 60)m" } else { text = "\(a / 86400)d" }
    return d >= 0 ? "in " + text : text + " ago"
}
