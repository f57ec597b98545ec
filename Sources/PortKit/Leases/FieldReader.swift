/// The members of one JSON object of the state file, read field by field.
/// Each problem names the field by its path ("leases[0].owner.pid") and says
/// what is wrong with it: missing, null, the wrong type, not a whole number,
/// out of range.
struct FieldReader {
    let members: [JSONMember]
    /// "" for the top level, else "leases[0]" and so on.
    let path: String

    init(_ node: JSONNode, path: String) throws(LeaseBookProblem) {
        guard case .object(let members) = node else {
            throw LeaseBookProblem("\(path.isEmpty ? "the top level" : "field " + path) has the wrong type (expected an object, found \(node.typeName))")
        }
        self.members = members
        self.path = path
    }

    func name(_ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The value, or nil when the key is absent or null (null means "not set").
    func optional(_ key: String) -> JSONNode? {
        guard let v = members.first(where: { $0.key == key })?.value, v != .null else { return nil }
        return v
    }

    func required(_ key: String, expected: String) throws(LeaseBookProblem) -> JSONNode {
        guard let m = members.first(where: { $0.key == key }) else { throw LeaseBookProblem("field \(name(key)) is missing") }
        if m.value == .null { throw LeaseBookProblem("field \(name(key)) is null (expected \(expected))") }
        return m.value
    }

    func string(_ key: String) throws(LeaseBookProblem) -> String {
        let v = try required(key, expected: "a string")
        guard case .string(let s) = v else { throw wrongType(key, v, expected: "a string") }
        return s
    }

    func optionalString(_ key: String) throws(LeaseBookProblem) -> String? {
        guard let v = optional(key) else { return nil }
        guard case .string(let s) = v else { throw wrongType(key, v, expected: "a string") }
        return s
    }

    func integer(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(LeaseBookProblem) -> Int64 {
        try FieldReader.integer(try required(key, expected: "a number"), named: name(key), in: range)
    }

    func optionalInteger(_ key: String, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(LeaseBookProblem) -> Int64? {
        guard let v = optional(key) else { return nil }
        return try FieldReader.integer(v, named: name(key), in: range)
    }

    /// 0-65535 here; 0 is refused by validation with its own message.
    func port(_ key: String) throws(LeaseBookProblem) -> UInt16 {
        try FieldReader.port(try required(key, expected: "a number"), named: name(key))
    }

    func array(_ key: String) throws(LeaseBookProblem) -> [JSONNode] {
        let v = try required(key, expected: "an array")
        guard case .array(let items) = v else { throw wrongType(key, v, expected: "an array") }
        return items
    }

    /// Members this version does not know: kept, and written back as they were.
    func unknown(besides known: [String]) -> [JSONMember] {
        members.filter { !known.contains($0.key) }
    }

    func wrongType(_ key: String, _ v: JSONNode, expected: String) -> LeaseBookProblem {
        LeaseBookProblem("field \(name(key)) has the wrong type (expected \(expected), found \(v.typeName))")
    }

    static func port(_ node: JSONNode, named name: String) throws(LeaseBookProblem) -> UInt16 {
        let v = try integer(node, named: name, in: Int64.min...Int64.max)
        guard let port = UInt16(exactly: v) else { throw LeaseBookProblem("field \(name): \(v) is not a port (1-65535)") }
        return port
    }

    /// A whole number within `range`, or a message saying which of the two it is not.
    static func integer(_ node: JSONNode, named name: String, in range: ClosedRange<Int64>) throws(LeaseBookProblem) -> Int64 {
        guard case .number(let text) = node else {
            throw LeaseBookProblem("field \(name) has the wrong type (expected a number, found \(node.typeName))")
        }
        switch WholeNumber(text) {
        case .value(let v) where range.contains(v): return v
        case .notWhole: throw LeaseBookProblem("field \(name): \(text) is not a whole number")
        case .value, .outOfRange:
            throw LeaseBookProblem("field \(name): \(text) is out of range (\(range.lowerBound) to \(range.upperBound))")
        }
    }
}

/// What a JSON number's text is as an Int64.
enum WholeNumber: Equatable {
    case value(Int64)
    case notWhole
    case outOfRange

    init(_ text: String) {
        if let v = Int64(text) { self = .value(v); return }
        // Digits only but no Int64: too many of them.
        if !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { self = .outOfRange; return }
        guard let d = Double(text), d.isFinite else { self = .outOfRange; return }
        let mantissa = text.prefix { $0 != "e" && $0 != "E" }
        if d == 0 && mantissa.contains(where: { ("1"..."9").contains($0) }) { self = .notWhole; return }  // 1e-400
        guard d == d.rounded() else { self = .notWhole; return }
        // Beyond 2^53 a double no longer holds every whole number exactly.
        guard abs(d) <= 9_007_199_254_740_992 else { self = .outOfRange; return }
        self = .value(Int64(d))
    }
}
