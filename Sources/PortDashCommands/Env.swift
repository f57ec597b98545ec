import ArgumentParser
import PortDashCLI
import PortKit
import PortProject

struct Env: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the project's ports as variables (API_PORT=5001), leasing those not leased yet.",
        discussion: """
            With SERVICE, the variables that service gets under portdash up: PORT, PORT_<NAME>, every \
            <SERVICE>_PORT, and its env table. Ports not leased yet are leased (all or none) as portdash \
            lease does, for an hour, renewed while in use; ports of a running portdash up are read, not taken.
            Examples: eval "$(portdash env --export)"; portdash env --dotenv .env && docker compose up
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A service of the project: print what it would see.", completion: ServiceCompletion.services)
    var service: String?

    @Flag(help: "Print export NAME=value lines, for eval in any POSIX shell (dash, bash, zsh, ksh).")
    var export = false

    @Flag(help: "Print one JSON object: the project, the variables and the ports.")
    var json = false

    @Option(help: ArgumentHelp("Write the variables to FILE as a .env file (replacing it) instead of printing them.", valueName: "file"))
    var dotenv: String?

    func validate() throws {
        if [export, json, dotenv != nil].filter({ $0 }).count > 1 { throw ValidationError("give one of --export, --json and --dotenv") }
        if dotenv == "" { throw ValidationError("--dotenv needs a file name, e.g. --dotenv .env") }
    }

    func run() throws {
        let p = try ProjectContext(global)
        let spec = try service.map(p.service)
        let leased = try Output.core { () throws(ProjectError) in
            try p.leaser.lease(p.leaser.ports(of: p.project.serviceNames), owner: nil)
        }
        p.report(leased)
        if !leased.fresh.isEmpty {
            // Said once, when they are taken; a later env only reads them.
            let list = leased.fresh.sorted { $0.value < $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            Output.printError("portdash: leased \(list) for an hour, renewed while in use (portdash up takes them over)")
        }
        let book = try? p.ctx.store.load()
        let router = RouterAddress.current(statePath: p.ctx.store.path)
        let urls = book.map { ProjectURLs.of(p.project, in: $0, ports: leased.all, router: router) }
        let vars = ServiceEnvironment.variables(for: spec, in: p.project, ports: leased.all, urls: urls)
        if let dotenv {
            try Output.core { () throws(ProjectError) in try DotEnv.write(vars, to: dotenv) }
            Output.printError("portdash: wrote \(vars.count) variables to \(dotenv)")
        } else if json {
            Output.writeOut(jsonText(p.project, vars, leased.all) + "\n")
        } else {
            // A comment per moved port: it holds only under up and run, which rebind.
            let moved = ProjectRebinding(project: p.project, ports: leased.all).lines(p.project.serviceNames)
                .map { "# \(sanitized($0)) under portdash up\n" }
            Output.writeOut(moved.joined() + vars.map { ShellQuote.assignment($0.name, $0.value, export: export) + "\n" }.joined())
        }
    }

    func jsonText(_ project: Project, _ vars: [(name: String, value: String)], _ ports: [ServicePort: UInt16]) -> String {
        let list: [JSONNode] = ports.sorted { ($0.key.service, $0.key.name ?? "") < ($1.key.service, $1.key.name ?? "") }.map { p, port in
            .object([("service", .string(p.service)), ("portName", p.name.map { .string($0) } ?? .null),
                     ("port", .uint(UInt64(port))), ("variable", .string(EnvName.shared(p))),
                     ("binds", project.service(p.service)?.binds(port: p.name).map { .uint(UInt64($0)) } ?? .null)])
        }
        return JSONNode.object([
            ("project", .object([("root", .string(project.root)), ("name", .string(project.name)), ("file", .string(project.file))])),
            ("service", service.map { .string($0) } ?? .null),
            ("variables", .object(vars.map { ($0.name, .string($0.value)) })),
            ("ports", .array(list)),
        ]).serialized()
    }
}
