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
