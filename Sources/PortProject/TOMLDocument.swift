import PortKit

/// A TOML value, copied out of the TOML library's tree once so that the
/// readers work on plain Swift values (only TOMLKitReader imports TOMLKit).
public indirect enum TOMLItem: Sendable, Equatable {
    case string(String)
    case integer(Int)
    case float(Double)
    case bool(Bool)
    case array([TOMLItem])
    /// Keys in the order TOMLKit gives them (sorted).
    case table([String: TOMLItem])
    /// A date or time: no key of ours takes one.
    case other(String)

    public var typeName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a number with a fraction"
        case .bool: return "true or false"
        case .array: return "an array"
        case .table: return "a table"
        case .other(let t): return t
        }
    }
}

/// One TOML file: its path, its text (for lines), and its values.
public struct TOMLDocument: Sendable {
    public let path: String
    public let root: [String: TOMLItem]
    let lines: TOMLKeyLines

    /// Parses `text`; a syntax error names its line and column.
    public init(path: String, text: String) throws(ProjectError) {
        self.path = path
        lines = TOMLKeyLines(text)
        do {
            root = try TOMLKitReader.parse(text)
        } catch {
            let at = error.column.map { " (column \($0))" } ?? ""
            throw .badProjectFile(path: path, line: error.line, problem: "is not valid TOML: \(error.message)\(at)")
        }
        if let line = TOMLNulEscape.line(in: text) {
            let key = lines.key(on: line).map { $0.joined(separator: ".") + ": " } ?? ""
            throw .badProjectFile(path: path, line: line, problem: "\(key)a string holds \\u0000 (NUL), which no command, name or value can carry "
                + "(it would be cut short there); remove it")
        }
    }

    // MARK: problems, with their lines

    /// "FILE line N: TEXT" for the key at `path`.
    public func problem(_ path: [String], _ text: String) -> ProjectError {
        .badProjectFile(path: self.path, line: lines.line(of: path), problem: text)
    }

    public func line(of path: [String]) -> Int? { lines.line(of: path) }

    /// Refuses keys of `table` (at `path`) that are not `known`.
    public func checkKeys(_ table: [String: TOMLItem], at path: [String], known: [String]) throws(ProjectError) {
        let unknown = table.keys.filter { !known.contains($0) }.sorted { (line(of: path + [$0]) ?? 0) < (line(of: path + [$1]) ?? 0) }
        guard let key = unknown.first else { return }
        let place = path.isEmpty ? "at the top level" : "in [\(path.joined(separator: "."))]"
        throw problem(path + [key], "unknown key \"\(key)\" \(place); the keys are: \(known.joined(separator: ", "))")
    }

    /// The table at `path` in `table`, nil if absent.
    public func table(_ table: [String: TOMLItem], _ key: String, at path: [String]) throws(ProjectError) -> [String: TOMLItem]? {
        guard let v = table[key] else { return nil }
        guard case .table(let t) = v else { throw wrongType(path + [key], v, expected: "a table") }
        return t
    }

    public func string(_ table: [String: TOMLItem], _ key: String, at path: [String]) throws(ProjectError) -> String? {
        guard let v = table[key] else { return nil }
        guard case .string(let s) = v else { throw wrongType(path + [key], v, expected: "a string") }
        return s
    }

    public func strings(_ table: [String: TOMLItem], _ key: String, at path: [String]) throws(ProjectError) -> [String]? {
        guard let v = table[key] else { return nil }
        guard case .array(let items) = v else { throw wrongType(path + [key], v, expected: "an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw wrongType(path + [key], item, expected: "an array of strings") }
            out.append(s)
        }
        return out
    }

    public func wrongType(_ path: [String], _ v: TOMLItem, expected: String) -> ProjectError {
        problem(path, "\(path.joined(separator: ".")) must be \(expected), not \(v.typeName)")
    }
}
