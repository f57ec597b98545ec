import ArgumentParser
import PortDashCLI
import PortKit

struct Hosts: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hosts",
        abstract: "Print /etc/hosts lines for the leases' .localhost names; --write keeps them in /etc/hosts (root).",
        discussion: """
            Browsers and curl 7.85+ resolve *.localhost themselves; Node, Python and Go on a default Debian \
            (hosts: files dns) do not, and need these lines. --write replaces only the block between \
            "# BEGIN portdash" and "# END portdash" (adding it if missing), atomically; every other byte stays as it was. \
            A symlinked hosts file is written through the link; a bind-mounted one (a container's) in place. Details: docs/names.md.
            Example: sudo portdash hosts --write
            """)

    @OptionGroup var global: GlobalOptions

    @Flag(help: "Write the block into the hosts file instead of printing it (needs root for /etc/hosts).")
    var write = false

    @Option(help: ArgumentHelp("The hosts file to write.", valueName: "path", visibility: .hidden))
    var file = "/etc/hosts"

    func run() throws {
        let ctx = try Context(global)
        let book = try Output.core { () throws(PortKitError) in try ctx.store.load() }
        let names = RouteNames(leases: book.leases)
        let block = HostsBlock.block(names)
        guard write else {
            Output.writeOut(block)
            return
        }
        let outcome = try Output.core { () throws(HostsFileError) in try HostsFile(path: file).update(block: block) }
        switch outcome {
        case .upToDate:
            Output.printError("portdash: \(file) is up to date (\(names.routes.count) names)")
        case .written(let target, let throughLink, let inPlace):
            let how = throughLink ? " (through the link, to \(target))" : ""
            Output.printError("portdash: wrote \(names.routes.count) name\(names.routes.count == 1 ? "" : "s") to \(file)\(how)\(inPlace ? "; rewritten in place: it is a mount point" : "")")
        }
    }
}
