/// A JSON value exactly as the state file holds it: object members keep
/// their order and numbers keep their text, so fields this version does not
/// know (a newer portdash's) are written back unchanged, digit for digit.
public indirect enum JSONNode: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's text as written ("2.50", "1e400"): never rounded here.
    case number(String)
    case string(String)
    case array([JSONNode])
    case object([JSONMember])

    public static func integer(_ n: some BinaryInteger) -> JSONNode { .number(String(n)) }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "true or false"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: writing

    /// The value on one line: `{"a": 1, "b": [true, null]}`.
    func writeCompact(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let text): out += text
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.writeCompact(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, m) in members.enumerated() {
                if i > 0 { out += ", " }
                m.write(into: &out) { $0.writeCompact(into: &$1) }
            }
            out += "}"
        }
    }

    /// One member or item per line down to `expand` levels, compact below:
    /// the state file shows one lease per line.
    func writePretty(into out: inout String, indent: String = "", expand: Int) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where expand > 0 && !items.isEmpty:
            out += "["
            for (i, item) in items.enumerated() {
                out += (i > 0 ? ",\n" : "\n") + inner
                item.writePretty(into: &out, indent: inner, expand: expand - 1)
            }
            out += "\n" + indent + "]"
        case .object(let members) where expand > 0 && !members.isEmpty:
            out += "{"
            for (i, m) in members.enumerated() {
                out += (i > 0 ? ",\n" : "\n") + inner
                m.write(into: &out) { $0.writePretty(into: &$1, indent: inner, expand: expand - 1) }
            }
            out += "\n" + indent + "}"
        default:
            writeCompact(into: &out)
        }
    }
}

/// One `"key": value` of an object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONNode
    public init(_ key: String, _ value: JSONNode) { self.key = key; self.value = value }

    func write(into out: inout String, value write: (JSONNode, inout String) -> Void) {
        JSONValue.writeString(key, into: &out)
        out += ": "
        write(value, &out)
    }
}
