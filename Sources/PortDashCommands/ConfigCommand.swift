import ArgumentParser
import PortDashCLI
import PortKit
import PortProject
import Glibc

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Print each effective setting and where it came from.",
        discussion: """
            Precedence: flag > environment > project file (portdash.toml, found from the current directory up) \
            > user config ($XDG_CONFIG_HOME/portdash/config.toml) > built-in.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: "As for the dashboard: seconds between scans.")
    var interval: Double?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let settings = global.settings()
        let range = try global.rangeSetting()
        let seconds = try Output.core { () throws(ProjectError) in try settings.interval(flag: interval) }
        let state = try global.resolvedStatePath()
        let stateSource: SettingSource = global.state != nil ? .flag("--state")
            : processEnvironment("PORTDASH_STATE") != nil ? .environment("PORTDASH_STATE") : .builtIn
        let user = UserConfig.path(environment: processEnvironment)
        let found = StatePath.currentDirectory().flatMap(ProjectLoader.find(from:))
        let rows: [(String, String, String)] = [
            ("range", range.value.description, range.source.description),
            ("interval", secondsText(seconds.value) + " s", seconds.source.description),
            ("state", state, stateSource.description),
            ("project", found?.file ?? "none", found == nil ? "no portdash.toml or Procfile from here up" : "found from the current directory"),
            ("user config", user, access(user, F_OK) == 0 ? "read" : "absent"),
            supervisionRow(),
            bindsRow(),
        ]
        if json {
            Output.writeOut(JSONNode.object(rows.map { ($0.0, .object([("value", .string($0.1)), ("source", .string($0.2))])) }).serialized() + "\n")
        } else {
            Output.writeOut(TextTable(["SETTING", "VALUE", "FROM"].map { TextTable.Column($0) }).render(rows.map { [$0.0, $0.1, $0.2].map(sanitized) }, width: nil))
        }
    }

    /// The mode `up` and `run` would use here (docs/supervision.md).
    func supervisionRow() -> (String, String, String) {
        let setting = processEnvironment("PORTDASH_SUPERVISION")
        let source = setting.map { _ in SettingSource.environment("PORTDASH_SUPERVISION").description } ?? "detected"
        switch SupervisionMode.detect(setting: setting) {
        case .success(let mode): return ("supervision", mode.description, source)
        case .failure(let e): return ("supervision", "unavailable", e.description)
        }
    }

    /// Whether `binds` works here (docs/hard-coded-ports.md).
    func bindsRow() -> (String, String, String) {
        guard let problem = RebindSupport.problem(executables: [], environment: childEnvironment(setting: [])) else {
            return ("binds", "available", "seccomp user notification works here")
        }
        return ("binds", "unavailable", problem.description)
    }
}
