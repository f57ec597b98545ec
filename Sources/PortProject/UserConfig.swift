import PortKit

/// The user's defaults: `$XDG_CONFIG_HOME/portdash/config.toml`
/// (`~/.config/portdash/config.toml` when XDG_CONFIG_HOME is unset or not
/// absolute).
///
///     [pool]
///     range = "6000-6099"
///     [dashboard]
///     interval = 2        # seconds between scans
public struct UserConfig: Sendable {
    public let path: String
    /// Whether the file exists.
    public let present: Bool
    public var range: (value: PortRange, line: Int?)?
    public var interval: (value: Double, line: Int?)?

    public static func path(environment env: (String) -> String?) -> String {
        if let x = env("XDG_CONFIG_HOME"), x.hasPrefix("/") { return x + "/portdash/config.toml" }
        let home = env("HOME").flatMap { $0.hasPrefix("/") ? $0 : nil } ?? "/"
        return (home == "/" ? "" : home) + "/.config/portdash/config.toml"
    }

    public static func load(environment env: (String) -> String?) throws(ProjectError) -> UserConfig {
        let path = path(environment: env)
        guard case .text(let text) = try FileText.read(path, deniedIsAbsent: true, trusted: true) else { return UserConfig(path: path, present: false) }
        let doc = try TOMLDocument(path: path, text: text)
        var config = UserConfig(path: path, present: true)
        try doc.checkKeys(doc.root, at: [], known: ["pool", "dashboard"])
        if let pool = try doc.table(doc.root, "pool", at: []) {
            try doc.checkKeys(pool, at: ["pool"], known: ["range"])
            if let text = try doc.string(pool, "range", at: ["pool"]) {
                do { config.range = (try PortRange(parsing: text), doc.line(of: ["pool", "range"])) } catch {
                    throw doc.problem(["pool", "range"], "range: \(error.description)")
                }
            }
        }
        if let dash = try doc.table(doc.root, "dashboard", at: []) {
            try doc.checkKeys(dash, at: ["dashboard"], known: ["interval"])
            config.interval = try interval(dash, doc)
        }
        return config
    }

    static func interval(_ dash: [String: TOMLItem], _ doc: TOMLDocument) throws(ProjectError) -> (Double, Int?)? {
        let seconds: Double
        switch dash["interval"] {
        case nil: return nil
        case .integer(let n)?: seconds = Double(n)
        case .float(let d)?: seconds = d
        case let v?: throw doc.wrongType(["dashboard", "interval"], v, expected: "a number of seconds")
        }
        guard Settings.intervalRange.contains(seconds) else {
            throw doc.problem(["dashboard", "interval"], "interval must be between 0.25 and 60 seconds, not \(seconds)")
        }
        return (seconds, doc.line(of: ["dashboard", "interval"]))
    }
}
