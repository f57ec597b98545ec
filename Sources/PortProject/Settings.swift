import PortKit

/// Where a setting's value came from, in the order of precedence.
public enum SettingSource: Sendable, Equatable, CustomStringConvertible {
    case flag(String)
    case environment(String)
    case projectFile(path: String, line: Int?)
    case userConfig(path: String, line: Int?)
    case builtIn

    public var description: String {
        switch self {
        case .flag(let f): return "flag \(f)"
        case .environment(let v): return "environment $\(v)"
        case .projectFile(let p, let l): return "project file \(p)" + (l.map { " line \($0)" } ?? "")
        case .userConfig(let p, let l): return "user config \(p)" + (l.map { " line \($0)" } ?? "")
        case .builtIn: return "built-in"
        }
    }
}

/// A value and where it came from.
public struct Setting<Value: Sendable>: Sendable {
    public let value: Value
    public let source: SettingSource
    public init(_ value: Value, _ source: SettingSource) { self.value = value; self.source = source }
}

/// The settings with layers: flag > environment > project file > user
/// config > built-in. The files are read only when no layer above has the
/// value, so `status --range …` reads neither.
public struct Settings {
    public static let intervalRange = 0.25...60.0

    let environment: (String) -> String?
    let directory: String?

    public init(environment: @escaping (String) -> String?, directory: String?) {
        self.environment = environment
        self.directory = directory
    }

    /// The pool. An unusable --range or $PORTDASH_RANGE is a usage error (64).
    public func range(flag: String?) throws(ProjectError) -> Setting<PortRange> {
        if let flag { return Setting(try ProjectError.wrapping { () throws(PortKitError) in try PortRange(parsing: flag) }, .flag("--range")) }
        if let env = environment("PORTDASH_RANGE") {
            do { return Setting(try PortRange(parsing: env), .environment("PORTDASH_RANGE")) } catch {
                throw .core(.invalidRange("PORTDASH_RANGE: \(error.description) (or unset PORTDASH_RANGE)"))
            }
        }
        if let directory, let pool = try ProjectLoader.pool(from: directory) {
            return Setting(pool.range, .projectFile(path: pool.file, line: pool.line))
        }
        let user = try UserConfig.load(environment: environment)
        if let r = user.range { return Setting(r.value, .userConfig(path: user.path, line: r.line)) }
        return Setting(.default, .builtIn)
    }

    /// The dashboard's seconds between scans (no project file sets it).
    public func interval(flag: Double?) throws(ProjectError) -> Setting<Double> {
        if let flag { return Setting(flag, .flag("--interval")) }
        if let text = environment("PORTDASH_INTERVAL"), !text.isEmpty {
            guard let v = Double(text), Settings.intervalRange.contains(v) else {
                throw .core(.invalidRange("PORTDASH_INTERVAL=\(text) is not a number of seconds between 0.25 and 60 (or unset PORTDASH_INTERVAL)"))
            }
            return Setting(v, .environment("PORTDASH_INTERVAL"))
        }
        let user = try UserConfig.load(environment: environment)
        if let i = user.interval { return Setting(i.value, .userConfig(path: user.path, line: i.line)) }
        return Setting(1, .builtIn)
    }
}
