import ArgumentParser
import PortDashCLI
import PortKit
import PortProject

struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "End a lease or reservation, by service name or port. The service keeps the port as its preference.",
        discussion: """
            Inside a project's checkout, NAME (web, or web.debug for a named port) is that checkout's service \
            while it holds a lease; otherwise the lease by that name alone. A lease a running portdash up holds is \
            refused (exit 69): portdash stop or portdash restart the service instead; its lease ends with that up.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A service name, or a port number.", completion: ServiceCompletion.leases)
    var target: String

    func run() throws {
        let ctx = try Context(global)
        // Inside a checkout, a service name means that checkout's service (`up` and `env` lease it under the project's key).
        let project = ServiceCompletion.project()
        let env = ctx.environment()
        let lease = try core { () throws(PortKitError) in
            try ctx.store.update { (book: inout LeaseBook) throws(PortKitError) in
                try ctx.pool.release(target, in: &book, env: env) { project?.key(named: $0) }
            }
        }
        printError("portdash: released \(lease.port) (\(lease.label))")
    }
}
