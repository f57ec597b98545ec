import ArgumentParser
import PortDashCLI
import PortKit
import PortProject

/// `portdash stop SERVICE…`: see Restart.
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
