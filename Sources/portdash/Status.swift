import ArgumentParser
import PortKit

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every port of the range: free, ours, foreign or conflict, and who holds it.")

    @OptionGroup var global: GlobalOptions

    @Flag(name: .long, help: "Print one JSON object (documented in the README).")
    var json = false

    func run() throws {
        let ctx = try Context(global)
        let snapshot = try core { () throws(PortKitError) in
            let leases = try ctx.liveLeases()
            var scanner = PortScanner()
            return try scanner.scan(ctx.range, leases: leases)
        }
        if json {
            writeOut(SnapshotJSON(snapshot).encoded() + "\n")
        } else {
            let tty = isatty(1) == 1
            let color = tty && (environment("NO_COLOR") ?? "").isEmpty && environment("TERM") != "dumb"
            writeOut(StatusTable(snapshot: snapshot, style: .init(color: color), width: terminalWidth(tty: tty)).render())
        }
    }
}

/// The terminal's width when stdout is one, else $COLUMNS, else no limit.
func terminalWidth(tty: Bool) -> Int? {
    if tty {
        var ws = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0 { return Int(ws.ws_col) }
        return 80
    }
    if let c = environment("COLUMNS"), let n = Int(c), n > 0 { return n }
    return nil
}
