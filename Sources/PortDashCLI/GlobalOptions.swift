import ArgumentParser
import PortKit
import PortProject

/// Options every subcommand takes.
public struct GlobalOptions: ParsableArguments {
    public init() {}

    @Option(name: .long, help: ArgumentHelp("The port pool, FIRST-LAST (default: $PORTDASH_RANGE, the project's [pool] range, the user config's, 5000-5010).", valueName: "first-last"))
    public var range: String?

    @Option(name: .long, help: ArgumentHelp("The lease state file (default $XDG_STATE_HOME/portdash/leases.json, or $PORTDASH_STATE); relative to the current directory.", valueName: "path"))
    public var state: String?

    /// `portdash --range 3000-3010 status` as well as `portdash status --range …`:
    /// global options written before the verb are moved after it, where
    /// the verb's own parser reads them. Without a verb (the dashboard) the
    /// arguments stay as they are.
    public static func movedAfterVerb(_ args: [String], verbs: [String]) -> [String] {
        var globals: [String] = []
        var i = 0
        while i < args.count {
            if ["--range", "--state"].contains(args[i]), i + 1 < args.count {
                globals += args[i...(i + 1)]
                i += 2
            } else if args[i].hasPrefix("--range=") || args[i].hasPrefix("--state=") {
                globals.append(args[i])
                i += 1
            } else {
                break
            }
        }
        guard !globals.isEmpty, i < args.count, verbs.contains(args[i]) else { return args }
        return [args[i]] + globals + args[(i + 1)...]
    }

    public func validate() throws {
        _ = try resolvedRange()
        _ = try resolvedStatePath()
    }

    /// --state, else $PORTDASH_STATE, else the default; absolute. An empty
    /// value is a usage error (exit 64), not a silent fall back to the default.
    public func resolvedStatePath() throws -> String {
        try Output.core { () throws(PortKitError) in try StatePath.resolve(explicit: state, environment: processEnvironment) }
    }

    /// --range, else $PORTDASH_RANGE, else the project file's [pool], else
    /// the user's config, else 5000-5010.
    public func resolvedRange() throws -> PortRange { try rangeSetting().value }

    /// The range and where it came from (`portdash config`). One line, not
    /// ArgumentParser's error-plus-usage block: scripts and people both read
    /// the first line only.
    public func rangeSetting() throws -> Setting<PortRange> {
        try Output.core { () throws(ProjectError) in try settings().range(flag: range) }
    }

    /// The layers below the command line: environment, project file, user config.
    public func settings() -> Settings {
        Settings(environment: processEnvironment, directory: StatePath.currentDirectory())
    }
}
