import ArgumentParser
import PortProject

/// `portdash _keeper MOUNT GROUP`: started by `up` (see Keeper); not for people.
struct KeeperCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: Keeper.verb, shouldDisplay: false)

    @Argument var mount: String
    @Argument var group: String

    func run() throws {
        let code = Keeper.run(mount: mount, group: group)
        if code != 0 { throw ExitCode(code) }
    }
}
