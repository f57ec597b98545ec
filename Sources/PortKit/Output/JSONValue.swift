/// A JSON value whose objects keep their key order, so documented output
/// reads in the documented order (Foundation's JSONEncoder orders keys by
/// hash or alphabetically). Writing only: the state file is read by
/// StrictJSONParser into JSONNode.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    /// A finite number, written with at most `places` decimals.
    case fixed(Double, places: Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.serialized() == b.serialized() }

    public func serialized() -> String {
        var out = ""
        write(into: &out)
        return out
    }

    public func write(into out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .uint(let u): out += String(u)
        case .fixed(let d, let places):
            let scale = (0..<max(0, places)).reduce(1.0) { r, _ in r * 10 }
            out += d.isFinite ? String((d * scale).rounded() / scale) : "null"
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let items):
            out += "["
            for (i, v) in items.enumerated() {
                if i > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case .object(let pairs):
            out += "{"
            for (i, (k, v)) in pairs.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(k, into: &out)
                out += ":"
                v.write(into: &out)
            }
            out += "}"
        }
    }

    /// RFC 8259 §7: quote, backslash and control characters are escaped;
    /// so are DEL, the C1 controls and the bidi overrides, which RFC 8259
    /// allows raw but a terminal showing the JSON might obey.
    static func writeString(_ s: String, into out: inout String) {
        out += "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if TerminalText.needsEscape(u) {
                    out += "\\u" + TerminalText.hexDigits(u.value, width: 4).lowercased()
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        out += "\""
    }
}

extension Optional where Wrapped == String {
    var json: JSONValue { map { .string($0) } ?? .null }
}
