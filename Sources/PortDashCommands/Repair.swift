import ArgumentParser
import PortDashCLI
import PortKit

struct Repair: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Move a damaged state file aside (kept as FILE.bad-TIME) and start an empty one.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let ctx = try Context(global)
        let backup = try Output.core { () throws(PortKitError) in try ctx.store.repair() }
        if let backup {
            Output.printError("portdash: moved the damaged state file to \(backup); \(ctx.store.path) starts empty")
        } else {
            Output.printError("portdash: \(ctx.store.path) is valid; nothing to repair")
        }
    }
}
