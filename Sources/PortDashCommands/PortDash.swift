import ArgumentParser
import PortDashCLI
import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The root command. Two executables run it: `portdash` (lean: no TOML
/// reader, so no Foundation in its start-up) and `portdash-toml` (with
/// TOMLKit), which the lean one hands the whole invocation to when a
/// `portdash.toml` or the user's config.toml has to be read.
public struct PortDash: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "portdash",
        abstract: "Ends \"port already in use\": a DHCP-style pool of development ports, and a live view of who holds them.",
        discussion: """
            With no subcommand, opens the dashboard. In a project (a portdash.toml or Procfile in the current \
            directory or above): portdash up runs its services on leased ports, portdash env prints them.

            Global options, before or after the verb: --range FIRST-LAST (the pool, default 5000-5010), \
            --state PATH (the lease state file).

            Settings, highest first: flags; the environment; the project's portdash.toml ([pool] range); the \
            user's config $XDG_CONFIG_HOME/portdash/config.toml ([pool] range, [dashboard] interval); built-in. \
            portdash config shows each value and where it came from.

            Environment: PORTDASH_RANGE (the pool), PORTDASH_STATE (the state file), PORTDASH_INTERVAL \
            (the dashboard's seconds between scans), PORTDASH_LOCK_TIMEOUT (seconds to wait for the state \
            lock, default 10), XDG_STATE_HOME (the state file's base directory), XDG_CONFIG_HOME (the user \
            config's), NO_COLOR (no colour), COLUMNS (table width when not a terminal).

            Exit codes: 0 success, 1 failure, 64 usage error (an unknown service), 65 bad state file, /proc \
            data, project file or user config, 66 no such lease, or no project file, 69 pool exhausted (or too \
            small for a project), request refused, port still held after kill, a service never ready, wait \
            timed out, 71 system error, 73 state file not writable (disk full, read-only), 75 state lock \
            timeout, 77 not permitted (kill refused, unsafe state directory). up and run: the status of the \
            service or command that ended, 128+N after signal N.
            """,
        version: "0.1.0",
        subcommands: [Dash.self, Status.self, LeaseCommand.self, Release.self, Reserve.self, Leases.self, Run.self, Kill.self, Repair.self,
                      Up.self, Env.self, Wait.self, ConfigCommand.self, Serve.self, Hosts.self, BenchRefresh.self],
        defaultSubcommand: Dash.self
    )

    /// ArgumentParser's own entry point, except that a usage error is one
    /// line (the problem and where to look) instead of an error-plus-usage
    /// block, and it goes through the sanitizer like every other message.
    public static func main() {
        let arguments = GlobalOptions.movedAfterVerb(Array(CommandLine.arguments.dropFirst()), verbs: UsageError.verbs)
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            // Help, version, and errors whose line was already printed
            // (an ExitCode thrown from validate() has no message) go as they are.
            if exitCode(for: error) == .success || message(for: error).isEmpty { exit(withError: error) }
            printError("portdash: " + UsageError.line(for: error, arguments: arguments))
            exit(withError: ExitCode(64))
        }
    }
}
