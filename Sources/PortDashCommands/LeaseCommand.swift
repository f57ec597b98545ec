import ArgumentParser
import PortDashCLI
import PortKit

struct LeaseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lease",
        abstract: "Grant or renew a port for a service; prints the port alone on stdout.",
        discussion: """
            Order: the service's existing lease, then --preferred, then the port it used last, \
            then the first free port of the pool. Every candidate must bind on IPv4 and IPv6 and \
            not be leased to another service. Without --pid or --ttl a lease lasts \(LeasePool.defaultTTL) s, \
            and is renewed when its port is found in use at expiry. Exit 69 when the pool is exhausted.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The service name (letters, digits, - _ . @ : /).")
    var name: String

    @Option(help: "Ask for this port first.")
    var preferred: UInt16?

    @Option(help: "Bind the lease to this process: it ends when the process exits.")
    var pid: Int32?

    @Option(help: "Lifetime in seconds (default \(LeasePool.defaultTTL) without --pid; none with --pid).")
    var ttl: Int64?

    func validate() throws {
        if let ttl, ttl <= 0 || ttl > LeaseBook.maxTTL {
            throw ValidationError("--ttl must be between 1 and \(LeaseBook.maxTTL) seconds (ten years), e.g. --ttl 3600")
        }
        if let pid, pid <= 0 { throw ValidationError("--pid must be a process id, e.g. --pid $$") }
        // init never exits: a lease bound to it would never end.
        if pid == 1 { throw ValidationError("--pid 1 is init, which never exits; bind the lease to your server's pid, e.g. --pid $$") }
    }

    func run() throws {
        let ctx = try Context(global)
        let env = ctx.environment()
        var owner: LeaseOwner? = nil
        if let pid {
            guard let o = env.owner(pid: pid) else { throw Output.fail(.noSuchProcess(pid: pid)) }
            owner = o
        }
        let request = LeaseRequest(service: name, preferred: preferred, owner: owner, ttl: ttl)
        let grant = try Output.core { () throws(PortKitError) in
            try ctx.store.update { (book: inout LeaseBook) throws(PortKitError) in
                try ctx.pool.grant(request, in: &book, env: env)
            }
        }
        for s in grant.skipped { Output.printError("portdash: skipped \(s)") }
        Output.writeOut("\(grant.lease.port)\n")
    }
}
