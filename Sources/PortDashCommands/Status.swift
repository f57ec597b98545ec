import ArgumentParser
import PortDashCLI
import PortKit
import Glibc

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the pool, the given ports, or every listener: free, ours, foreign or conflict, and who holds each.",
        discussion: """
            With no PORT, the pool (--range). With PORTs (1-65535), exactly those, whatever the pool. \
            With --all, every TCP port with a listening socket on this host, IPv4 and IPv6, and the \
            listeners of other network namespaces (containers), marked. Exit 0 whatever the ports' states.
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("Ports to show (any of 1-65535) instead of the pool.", valueName: "port"))
    var ports: [UInt16] = []

    @Flag(name: .long, help: "Every listening port on this host (like ss -ltnp), with other network namespaces.")
    var all = false

    @Flag(name: .long, help: "With --all: only sockets of my user.")
    var mine = false

    /// Parsed once, here: a bad range is a one-line usage error naming it.
    @Option(name: .customLong("ports"), help: ArgumentHelp("With --all: only ports in FIRST-LAST.", valueName: "first-last"),
            transform: { text in
                do { return try PortRange.filter(parsing: text) } catch {
                    throw ValidationError("not FIRST-LAST between 1 and 65535, e.g. 3000-9000")
                }
            })
    var within: PortRange?

    @Flag(name: .long, help: "Print one JSON object (documented in docs/commands.md).")
    var json = false

    func validate() throws {
        if ports.contains(0) { throw ValidationError("port 0 is not a port; give ports between 1 and 65535") }
        if all && !ports.isEmpty { throw ValidationError("give ports or --all, not both") }
        if (mine || within != nil) && !all { throw ValidationError("--mine and --ports filter --all; add --all") }
    }

    func run() throws {
        let ctx = try Context(global)
        let refresh = try Output.core { () throws(PortKitError) in
            let r = try Refresher.once(store: ctx.store).refresh(try scope(pool: ctx.range))
            // A damaged state file is an error here: nothing to keep showing.
            if let d = r.damage { throw d.error }
            return r
        }
        let snapshot = refresh.snapshot
        if json {
            Output.writeOut(SnapshotJSON(snapshot, warnings: refresh.warnings, router: RouterAddress.current(statePath: ctx.store.path)).encoded() + "\n")
        } else {
            for w in refresh.warnings { Output.printError("portdash: warning: \(w)") }
            let tty = isatty(1) == 1
            let color = tty && (processEnvironment("NO_COLOR") ?? "").isEmpty && processEnvironment("TERM") != "dumb"
            Output.writeOut(StatusTable(snapshot: snapshot, style: .init(color: color), width: terminalWidth(tty: tty)).render())
        }
    }

    func scope(pool: PortRange) throws(PortKitError) -> ScanScope {
        if all {
            return .listeners(within: within, uid: mine ? geteuid() : nil, namespaces: true)
        }
        return ports.isEmpty ? .pool(pool) : .ports(ports)
    }
}

/// The terminal's width when stdout is one, else $COLUMNS, else no limit.
func terminalWidth(tty: Bool) -> Int? {
    if tty {
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
        return 80
    }
    if let c = processEnvironment("COLUMNS"), let n = Int(c), n > 0 { return n }
    return nil
}
