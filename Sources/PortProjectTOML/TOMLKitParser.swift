import PortProject
import TOMLKit

/// TOMLKit behind PortProject's TOMLParser: the only importer of TOMLKit.
public enum TOMLKitParser {
    /// Makes TOMLDocument parse with TOMLKit in this process.
    public static func install() {
        TOMLParser.parse = { text throws(TOMLParser.SyntaxError) in
            do {
                return items(try TOMLTable(string: text))
            } catch let e as TOMLParseError {
                throw TOMLParser.SyntaxError(line: e.source.begin.line, column: e.source.begin.column, message: e.description)
            } catch {
                throw TOMLParser.SyntaxError(line: nil, column: nil, message: "\(error)")
            }
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
