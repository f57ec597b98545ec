import ArgumentParser
import PortDashUI
import PortDashCLI
import PortKit
import Glibc
import PortProject

struct Dash: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dash",
        abstract: "The live dashboard (the default): watch the range, reserve, release, kill.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Seconds between scans, 0.25 to 60 (default 1, or $PORTDASH_INTERVAL, or [dashboard] interval in the user's config).")
    var interval: Double?

    func validate() throws {
        if let interval, !Settings.intervalRange.contains(interval) {
            throw ValidationError("--interval must be between 0.25 and 60 seconds, e.g. --interval 1")
        }
    }

    func run() throws {
        let ctx = try Context(global, lockTimeout: 2)
        guard isatty(0) == 1, isatty(1) == 1 else {
            throw Output.fail(.needsTerminal(why: "the dashboard needs a terminal"))
        }
        if let why = CursesTerminal.cannotDraw(term: processEnvironment("TERM")) { throw Output.fail(.needsTerminal(why: why)) }
        let seconds = try Output.core { () throws(ProjectError) in try global.settings().interval(flag: interval).value }
        let code = try Output.core { () throws(PortKitError) in
            try Dashboard.run(range: ctx.range, store: ctx.store, interval: seconds, restarter: Dash.restart)
        }
        if code != 0 { throw ExitCode(code) }
    }

    /// R: `portdash restart SERVICE` for the selected port's checkout.
    static func restart(root: String, service: String) -> (String, Bool) {
        switch ControlClient.send("restart \(service)", root: root) {
        case .failure(let e): return (e.description, false)
        case .success(let lines):
            let text = lines.joined(separator: "; ")
            return (text.isEmpty ? "asked the portdash up of \(root) to restart \(service)" : text, !text.hasPrefix("error"))
        }
    }
}
