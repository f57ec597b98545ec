import TOMLKit

/// TOML text to TOMLItems through TOMLKit: the only file that imports it,
/// so the readers (TOMLDocument and up) work on plain Swift values.
enum TOMLKitReader {
    /// The document's top-level table; a syntax error names its line and column.
    static func parse(_ text: String) throws(TOMLSyntaxError) -> [String: TOMLItem] {
        do {
            return items(try TOMLTable(string: text))
        } catch let e as TOMLParseError {
            throw TOMLSyntaxError(line: e.source.begin.line, column: e.source.begin.column, message: e.description)
        } catch {
            throw TOMLSyntaxError(line: nil, column: nil, message: "\(error)")
        }
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
}

/// A TOML syntax error: where, and what.
struct TOMLSyntaxError: Error, Sendable {
    let line: Int?
    let column: Int?
    let message: String
}
