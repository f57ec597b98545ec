import ArgumentParser
import PortDashCLI
import PortKit
import SystemPackage
import Glibc

/// The root command of the `portdash` executable.
public struct PortDash: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "portdash",
        abstract: "Ends \"port already in use\": a DHCP-style pool of development ports, and a live view of who holds them.",
        discussion: "With no subcommand, opens the dashboard. Global options, before or after the verb: --range FIRST-LAST, --state PATH.",
        version: "0.1.0",
        subcommands: [Dash.self, Status.self, LeaseCommand.self, Release.self, Reserve.self, Leases.self, Run.self, Kill.self, Repair.self,
                      Up.self, Restart.self, Stop.self, Env.self, Wait.self, ConfigCommand.self, Serve.self, Trust.self, Hosts.self, BenchRefresh.self,
                      KeeperCommand.self],
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
            // The root's help: ArgumentParser's (usage, options, subcommands
            // first), then examples, environment and exit codes.
            if exitCode(for: error) == .success, message(for: error) == helpMessage() {
                Output.writeOut(helpMessage() + "\n\n" + HelpEpilogue.text + "\n")
                exit()  // exit(withError:) would print the help a second time
            }
            // Help, version, and errors whose line was already printed
            // (an ExitCode thrown from validate() has no message) go as they are.
            if exitCode(for: error) == .success || message(for: error).isEmpty { exit(withError: error) }
            Output.printError("portdash: " + UsageError.line(for: error, arguments: arguments))
            exit(withError: ExitCode(64))
        }
    }
}
