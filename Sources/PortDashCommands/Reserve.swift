import ArgumentParser
import PortDashCLI
import PortKit

struct Reserve: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reserve",
        abstract: "Reserve exactly PORT for NAME: a static lease that never expires.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The port to reserve.")
    var port: UInt16

    @Argument(help: "The service name.")
    var name: String

    func validate() throws {
        if port == 0 { throw ValidationError("port 0 is not a port; give one of the pool, e.g. portdash reserve 5003 db") }
    }

    func run() throws {
        let ctx = try Context(global)
        let env = ctx.environment()
        let lease = try Output.core { () throws(PortKitError) in
            try ctx.store.update { (book: inout LeaseBook) throws(PortKitError) in
                try ctx.pool.reserve(port, for: name, in: &book, env: env)
            }
        }
        Output.printError("portdash: reserved \(lease.port) for \(lease.service)")
    }
}
