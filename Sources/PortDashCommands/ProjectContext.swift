import PortDashCLI
import PortKit
import PortProject

/// What the project verbs (`up`, `env`, `wait SERVICE`) work with: the
/// project of the current directory, every rule of its file checked, and the
/// pool and state file as every verb has them.
struct ProjectContext {
    let ctx: Context
    let project: Project
    let leaser: ProjectLeaser

    init(_ global: GlobalOptions) throws {
        ctx = try Context(global)
        guard let cwd = StatePath.currentDirectory() else {
            throw fail(.noProject(directory: "the current directory (it cannot be read)"))
        }
        let project = try core { () throws(ProjectError) in try ProjectLoader.load(from: cwd) }
        self.project = project
        leaser = ProjectLeaser(project: project, pool: ctx.pool, store: ctx.store, env: ctx.environment())
    }

    /// The service named on the command line, or a usage error listing them.
    func service(_ name: String) throws -> ServiceSpec {
        guard let s = project.service(name) else {
            throw fail(.unknownService(name: name, project: project.name, known: project.serviceNames))
        }
        return s
    }

    /// Says what leasing passed over, as `lease` does, and the leases it
    /// ended of services the project file no longer has (one line).
    func report(_ ports: ProjectPorts) {
        for s in ports.skipped { printError("portdash: skipped \(s)") }
        for (service, port) in ports.outsidePool {
            printError("portdash: \(service) prefers \(port), outside the pool \(ctx.range); it got another port")
        }
        if !ports.removed.isEmpty {
            let list = ports.removed.sorted { $0.port < $1.port }.map { "\($0.port) (\($0.label))" }.joined(separator: ", ")
            printError("portdash: released \(list): no longer in \(project.file)")
        }
    }
}
