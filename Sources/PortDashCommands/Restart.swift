import ArgumentParser
import PortDashCLI
import PortKit
import PortProject

/// `portdash restart SERVICE…` and `portdash stop SERVICE…`: asks the
/// running `up` of this checkout, through its control socket, to restart
/// (on the same port) or stop services; the others are left alone.
struct Restart: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart services of this checkout's running portdash up, on the same ports.",
        discussion: """
            Talks to the portdash up running in this checkout through its control socket \
            ($XDG_RUNTIME_DIR/portdash/, mode 0600, our uid only). Each service gets TERM (KILL after up's \
            --grace), then starts again on its port; the services depending on it are left alone.
            Exit: 0 asked; 64 no such service; 66 no project file; 69 no portdash up runs here.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The services to restart.", completion: ServiceCompletion.services)
    var services: [String]

    func validate() throws {
        if services.isEmpty { throw ValidationError("name a service, e.g. portdash restart web") }
    }

    func run() throws { try ControlRequest.send("restart", services, global) }
}

struct Stop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stop",
        abstract: "Stop services of this checkout's running portdash up (it keeps the others running).",
        discussion: """
            As portdash restart, but the services are not started again; up ends once none of its services \
            runs. Exit: 0 asked; 64 no such service; 66 no project file; 69 no portdash up runs here.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The services to stop.", completion: ServiceCompletion.services)
    var services: [String]

    func validate() throws {
        if services.isEmpty { throw ValidationError("name a service, e.g. portdash stop web") }
    }

    func run() throws { try ControlRequest.send("stop", services, global) }
}

enum ControlRequest {
    static func send(_ verb: String, _ services: [String], _ global: GlobalOptions) throws {
        let p = try ProjectContext(global)
        for name in services { _ = try p.service(name) }
        switch ControlClient.send(([verb] + services).joined(separator: " "), root: p.project.root) {
        case .failure(let e):
            printError("portdash: " + e.description)
            throw ExitCode(e.exitCode)
        case .success(let lines):
            for l in lines { printError("portdash: " + l) }
            if lines.contains(where: { $0.hasPrefix("error") }) { throw ExitCode(64) }
        }
    }
}

/// `portdash _keeper MOUNT GROUP`: started by `up` (see Keeper); not for people.
struct KeeperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: Keeper.verb, shouldDisplay: false)

    @Argument var mount: String
    @Argument var group: String

    func run() throws {
        let code = Keeper.run(mount: mount, group: group)
        if code != 0 { throw ExitCode(code) }
    }
}
