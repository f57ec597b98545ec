/// A JSON value: what the state file holds (read by StrictJSONParser) and
/// what every `--json` output and serve's endpoints write. Object members
/// keep their order, so documented output reads in the documented order
/// and fields this version does not know (a newer portdash's) are written
/// back unchanged; numbers keep their text, digit for digit. `==` compares
/// values member by member (a number by its text: "2.50" is not "2.5").
public indirect enum JSONNode: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number's text as written ("2.50", "1e400"): never rounded here.
    case number(String)
    case string(String)
    case array([JSONNode])
    case object([JSONMember])

    public static func integer(_ n: some BinaryInteger) -> JSONNode { .number(String(n)) }
    public static func int(_ n: Int64) -> JSONNode { integer(n) }
    public static func uint(_ n: UInt64) -> JSONNode { integer(n) }

    /// A finite number with at most `places` decimals; null when not finite
    /// (JSON has no NaN or infinity).
    public static func fixed(_ d: Double, places: Int) -> JSONNode {
        guard d.isFinite else { return .null }
        let scale = (0..<max(0, places)).reduce(1.0) { r, _ in r * 10 }
        return .number(String((d * scale).rounded() / scale))
    }

    /// An object from `(key, value)` pairs, in their order.
    public static func object(_ pairs: [(String, JSONNode)]) -> JSONNode {
        .object(pairs.map { JSONMember($0.0, $0.1) })
    }

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
}

/// What `--json` and the endpoints build; the same type as the state file's.
public typealias JSONValue = JSONNode

/// One `"key": value` of an object.
public struct JSONMember: Sendable, Equatable {
    public var key: String
    public var value: JSONNode
    public init(_ key: String, _ value: JSONNode) { self.key = key; self.value = value }
}

extension Optional where Wrapped == String {
    var json: JSONNode { map { .string($0) } ?? .null }
}
