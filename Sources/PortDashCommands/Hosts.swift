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

    @Flag(help: "Take the block out of the hosts file again (needs root for /etc/hosts); every other byte stays.")
    var remove = false

    func validate() throws {
        if write && remove { throw ValidationError("--write and --remove contradict each other; give one of them") }
    }

    @Option(help: ArgumentHelp("The hosts file to write.", valueName: "path", visibility: .hidden))
    var file = "/etc/hosts"

    func run() throws {
        let ctx = try Context(global)
        let book = try Output.core { () throws(PortKitError) in try ctx.store.load() }
        let names = RouteNames(leases: book.leases)
        let block = HostsBlock.block(names)
        guard write || remove else {
            Output.writeOut(block)
            return
        }
        let outcome = try Output.core { () throws(HostsFileError) in try HostsFile(path: file).update(block: remove ? "" : block) }
        let count = HostsBlock.hosts(names).count
        switch outcome {
        case .upToDate:
            Output.printError(remove ? "portdash: \(file) has no portdash block" : "portdash: \(file) is up to date (\(count) names)")
        case .written(let target, let throughLink, let inPlace):
            let how = (throughLink ? " (through the link, to \(target))" : "") + (inPlace ? "; rewritten in place: it is a mount point" : "")
            Output.printError(remove ? "portdash: took portdash's block out of \(file)\(how)"
                              : "portdash: wrote \(count) name\(count == 1 ? "" : "s") to \(file)\(how)")
        }
    }
}
