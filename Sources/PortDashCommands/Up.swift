import SystemPackage
import ArgumentParser
import PortDashCLI
import PortKit
import PortProject
#if canImport(Glibc)
import Glibc
#endif

struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start the project's services (or those named, with what they depend on), each on its own leased ports.",
        discussion: """
            Reads portdash.toml (or a Procfile) from the current directory or the nearest one above. Every port \
            needed is leased first, all or none, and the leases are bound to each service's process while it \
            runs. Services start in dependency order through /bin/sh -c, each in its own process group, with PORT, \
            PORT_<NAME>, every <SERVICE>_PORT and <SERVICE>_URL set (and a dev server's port flag added when its command names no port: \
            flask, uvicorn, django runserver, vite…); a service waits until those it depends on are ready (ready = \
            "port": its main port listens, by a process of its own). Output is interleaved, each line behind the \
            service's name (coloured on a terminal, never under NO_COLOR).
            Ctrl-C, SIGTERM, SIGHUP or SIGQUIT stop every service: TERM to each process group, --grace seconds, then KILL; \
            the leases are released (the ports stay each service's last used, so the next up in this checkout gets \
            them back). A service that exits on its own stops the others unless --keep-going.
            Exit: 128+N after signal N; the status of the service that ended (128+N if signal N ended it); \
            69 when the pool cannot hold every port or a service never got ready; 65 for a bad project file; \
            64 for an unknown service; 66 when there is no project file.

            A portdash.toml (docs/projects.md has it all; restart = "on-failure" restarts a service, \
            binds = 3000 moves a port the program hard-codes, docs/hard-coded-ports.md):
              [services.api]
              command = "python3 -m http.server {port} --bind 127.0.0.1"
              [services.web]
              command = "npm run dev -- --port $PORT"
              depends_on = ["api"]
              ports = ["debug"]
              env = { API_URL = "http://127.0.0.1:{api.port}" }
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Services to start (default: all), with the services they depend on.", completion: ServiceCompletion.services)
    var services: [String] = []

    @Option(help: "Seconds a ready = \"port\" service has to listen before everything is stopped.")
    var timeout: Double = 30

    @Option(help: "Seconds between TERM and KILL when stopping.")
    var grace: Double = ProcessKiller.defaultGracePeriod

    @Flag(help: "A service that exits on its own does not stop the others.")
    var keepGoing = false

    func validate() throws {
        if !(timeout > 0 && timeout <= 86400) { throw ValidationError("--timeout must be between 0 and 86400 seconds, e.g. --timeout 30") }
        if !(grace >= 0 && grace <= 600) { throw ValidationError("--grace must be between 0 and 600 seconds") }
    }

    func run() throws {
        let p = try ProjectContext(global)
        for name in services { _ = try p.service(name) }
        let order = ServiceGraph(p.project).startOrder(services.isEmpty ? p.project.serviceNames : services)
        // Blocked before leasing: a Ctrl-C from now on waits in the runner's signalfd, never lost.
        ChildSignals.block(ChildSignals.cancelling + [SIGCHLD])
        guard let me = p.ctx.environment().owner(pid: getpid()) else { throw Output.fail(.procUnavailable(path: "/proc/self/stat", errno: .noSuchFileOrDirectory)) }
        let mode = try supervision()
        let commands = order.compactMap(p.project.service).map(\.command)
        if ProjectRebinding(project: p.project, ports: [:]).isUsed,
           let problem = RebindSupport.problem(executables: commands.compactMap(RebindSupport.firstWord), environment: childEnvironment(setting: [])) {
            throw Output.fail(problem)
        }
        try Output.core { () throws(PortKitError) in
            try Leftovers.stop(root: p.project.root, store: p.leaser.store, env: p.ctx.environment(), say: { Output.printError("portdash: " + $0) })
        }
        let needed = p.leaser.ports(of: Up.withReferenced(order, in: p.project))
        let leased = try Output.core { () throws(ProjectError) in try p.leaser.lease(needed, owner: me) }
        p.report(leased)
        Output.printError("portdash: \(p.project.name): " + Up.summary(order, leased.all) + "; supervision: \(mode)")
        for line in ProjectRebinding(project: p.project, ports: leased.all).lines(order) { Output.printError("portdash: " + line) }
        Up.checkNames(p, order: order)
        var options = UpOptions()
        options.timeout = timeout
        options.grace = grace
        options.keepGoing = keepGoing
        options.color = isatty(1) == 1 && (processEnvironment("NO_COLOR") ?? "").isEmpty && processEnvironment("TERM") != "dumb"
        let (base, keeper) = startKeeper(mode, me: me)
        let control: ControlServer?
        switch ControlServer.listen(root: p.project.root, services: order) {
        case .success(let c): control = c
        case .failure(let e): control = nil; Output.printError("portdash: warning: \(e.description); portdash restart and stop will not reach this up")
        }
        let runner = ServiceRunner(project: p.project, order: order, leaser: p.leaser, ports: leased, options: options,
                                   me: me, mode: mode, base: base, say: { Output.printError("portdash: " + $0) })
        let code = runner.run(control: control, keeper: keeper)
        if code != 0 { throw ExitCode(code) }
    }

    /// The supervision mode, from PORTDASH_SUPERVISION (see `portdash config`).
    func supervision() throws -> SupervisionMode {
        switch SupervisionMode.detect(setting: processEnvironment("PORTDASH_SUPERVISION")) {
        case .success(let m): return m
        case .failure(let e):
            Output.printError("portdash: " + e.description)
            throw ExitCode(e.exitCode)
        }
    }

    /// cgroup mode: this run's parent group, and the keeper that empties it
    /// if this process dies without doing so.
    func startKeeper(_ mode: SupervisionMode, me: LeaseOwner) -> (String?, FileDescriptor?) {
        guard case .cgroup(let tree, let own) = mode else { return (nil, nil) }
        tree.sweepAbandoned(below: own)
        let base = (own == "/" ? "" : own) + "/portdash-up-\(me.pid)-\(me.startTime)"
        guard case .success = tree.create(base) else { return (nil, nil) }
        switch Keeper.start(tree: tree, group: base) {
        case .success(let fd): return (base, fd)
        case .failure(let e):
            Output.printError("portdash: warning: no keeper (\(e)); if this up is killed, the next up in this checkout stops what it left")
            return (base, nil)
        }
    }

    /// The services to start, and those their templates name (whose ports they need too).
    static func withReferenced(_ order: [String], in project: Project) -> [String] {
        var names = order
        for s in order.compactMap(project.service) {
            for text in [s.command] + s.env.map(\.value) {
                for r in (try? PortTemplate.references(in: text)) ?? [] where !names.contains(r.service ?? s.name) {
                    names.append(r.service ?? s.name)
                }
            }
        }
        return names
    }

    /// "api 5001, web 5000 (debug 5002)".
    static func summary(_ order: [String], _ ports: [ServicePort: UInt16]) -> String {
        order.map { name in
            let main = ports[ServicePort(service: name)].map { " \($0)" } ?? ""
            let extra = ports.filter { $0.key.service == name && $0.key.name != nil }.sorted { $0.value < $1.value }
                .map { "\($0.key.name!) \($0.value)" }
            return name + main + (extra.isEmpty ? "" : " (" + extra.joined(separator: ", ") + ")")
        }.joined(separator: ", ")
    }
}
