import PortKit
import TOMLKit

/// A TOML value, copied out of TOMLKit's tree once so that the readers
/// work on plain Swift values (and only this file imports TOMLKit).
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

    var typeName: String {
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
    public init(path: String, text: String) throws(PortKitError) {
        self.path = path
        lines = TOMLKeyLines(text)
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let e as TOMLParseError {
            throw .badProjectFile(path: path, line: e.source.begin.line, problem: "is not valid TOML: \(e.description) (column \(e.source.begin.column))")
        } catch {
            throw .badProjectFile(path: path, line: nil, problem: "is not valid TOML: \(error)")
        }
        root = TOMLDocument.items(table)
    }

    static func items(_ table: TOMLTable) -> [String: TOMLItem] {
        var out: [String: TOMLItem] = [:]
        for (key, value) in table { out[key] = item(value.tomlValue) }
        return out
    }

    static func item(_ v: TOMLValue) -> TOMLItem {
        switch v.type {
        case .string: return .string(v.string ?? "")
        case .int: return .integer(v.int ?? 0)
        case .double: return .float(v.double ?? 0)
        case .bool: return .bool(v.bool ?? false)
        case .array: return .array((v.array ?? TOMLArray()).map { item($0.tomlValue) })
        case .table: return .table(v.table.map(items) ?? [:])
        case .date: return .other("a date")
        case .time: return .other("a time")
        case .dateTime: return .other("a date and time")
        }
    }

    // MARK: problems, with their lines

    /// "FILE line N: TEXT" for the key at `path`.
    public func problem(_ path: [String], _ text: String) -> PortKitError {
        .badProjectFile(path: self.path, line: lines.line(of: path), problem: text)
    }

    public func line(of path: [String]) -> Int? { lines.line(of: path) }

    /// Refuses keys of `table` (at `path`) that are not `known`.
    public func checkKeys(_ table: [String: TOMLItem], at path: [String], known: [String]) throws(PortKitError) {
        let unknown = table.keys.filter { !known.contains($0) }.sorted { (line(of: path + [$0]) ?? 0) < (line(of: path + [$1]) ?? 0) }
        guard let key = unknown.first else { return }
        let place = path.isEmpty ? "at the top level" : "in [\(path.joined(separator: "."))]"
        throw problem(path + [key], "unknown key \"\(key)\" \(place); the keys are: \(known.joined(separator: ", "))")
    }

    /// The table at `path` in `table`, nil if absent.
    public func table(_ table: [String: TOMLItem], _ key: String, at path: [String]) throws(PortKitError) -> [String: TOMLItem]? {
        guard let v = table[key] else { return nil }
        guard case .table(let t) = v else { throw wrongType(path + [key], v, expected: "a table") }
        return t
    }

    public func string(_ table: [String: TOMLItem], _ key: String, at path: [String]) throws(PortKitError) -> String? {
        guard let v = table[key] else { return nil }
        guard case .string(let s) = v else { throw wrongType(path + [key], v, expected: "a string") }
        return s
    }

    public func strings(_ table: [String: TOMLItem], _ key: String, at path: [String]) throws(PortKitError) -> [String]? {
        guard let v = table[key] else { return nil }
        guard case .array(let items) = v else { throw wrongType(path + [key], v, expected: "an array of strings") }
        var out: [String] = []
        for item in items {
            guard case .string(let s) = item else { throw wrongType(path + [key], item, expected: "an array of strings") }
            out.append(s)
        }
        return out
    }

    public func wrongType(_ path: [String], _ v: TOMLItem, expected: String) -> PortKitError {
        problem(path, "\(path.joined(separator: ".")) must be \(expected), not \(v.typeName)")
    }
}
