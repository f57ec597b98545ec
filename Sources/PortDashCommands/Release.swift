import ArgumentParser
import PortDashCLI
import PortKit

struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "release",
        abstract: "End a lease or reservation, by service name or port. The service keeps the port as its preference.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "A service name, or a port number.", completion: ServiceCompletion.leases)
    var target: String

    func run() throws {
        let ctx = try Context(global)
        let lease = try core { () throws(PortKitError) in
            try ctx.store.update { (book: inout LeaseBook) throws(PortKitError) in try ctx.pool.release(target, in: &book) }
        }
        printError("portdash: released \(lease.port) (\(lease.service))")
    }
}
