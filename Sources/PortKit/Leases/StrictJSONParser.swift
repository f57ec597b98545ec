/// RFC 8259, strictly, for the state file. Where JSONDecoder is lenient or
/// vague this one refuses and says what it saw: a duplicate key (JSONDecoder
/// keeps one of the two silently), bytes after the object, nesting past
/// `maxDepth`; every message names the place (path, line and column).
struct StrictJSONParser {
    /// JSONDecoder's own limit: no file it read is refused here for depth.
    static let maxDepth = 512

    private let bytes: [UInt8]
    private var i = 0
    private var path: [PathStep] = []

    private enum PathStep {
        case key(String)
        case index(Int)
    }

    static func parse(_ bytes: [UInt8]) throws(LeaseBookProblem) -> JSONNode {
        var p = StrictJSONParser(bytes: bytes)
        let root = try p.value()
        p.skipSpace()
        if p.i < bytes.count {
            let extra = bytes.count - p.i
            throw p.problem("has \(extra) more byte\(extra == 1 ? "" : "s") after the JSON object ends", at: p.i, then: "a state file holds one object")
        }
        return root
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    // MARK: values

    /// An array or object being read.
    private struct Frame {
        let isObject: Bool
        var items: [JSONNode] = []
        var members: [JSONMember] = []
        var seen: Set<String> = []
        /// The key whose value is being read.
        var key = ""
    }

    /// One value, read with an explicit stack of open containers rather than
    /// recursion: 512 levels cost no thread stack (the dashboard reads the
    /// file on a worker thread).
    private mutating func value() throws(LeaseBookProblem) -> JSONNode {
        var stack: [Frame] = []
        while true {
            skipSpace()
            guard let node = try start(&stack) else { continue }  // a container opened: its first value next
            if let root = try finish(node, &stack) { return root }
        }
    }

    /// A scalar or an empty container; nil when a container was opened.
    private mutating func start(_ stack: inout [Frame]) throws(LeaseBookProblem) -> JSONNode? {
        guard i < bytes.count else { throw truncated() }
        switch bytes[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let isObject = bytes[i] == UInt8(ascii: "{")
            if stack.count >= StrictJSONParser.maxDepth {
                throw problem("nests deeper than \(StrictJSONParser.maxDepth) levels", at: i, then: "portdash reads at most \(StrictJSONParser.maxDepth)")
            }
            i += 1
            skipSpace()
            if peek(is: isObject ? "}" : "]") { i += 1; return isObject ? .object([JSONMember]()) : .array([]) }
            var frame = Frame(isObject: isObject)
            if isObject { frame.key = try memberKey(&frame.seen) }
            path.append(isObject ? .key(frame.key) : .index(0))
            stack.append(frame)
            return nil
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw unexpected("a value")
        }
    }

    /// Puts a finished value into its container, closing every container
    /// that ends with it. The root once none is left open, else nil.
    private mutating func finish(_ value: JSONNode, _ stack: inout [Frame]) throws(LeaseBookProblem) -> JSONNode? {
        var node = value
        while let last = stack.indices.last {
            path.removeLast()
            skipSpace()
            if stack[last].isObject {
                stack[last].members.append(JSONMember(stack[last].key, node))
                if try endOfList("}") { node = .object(stack.removeLast().members); continue }
                skipSpace()
                stack[last].key = try memberKey(&stack[last].seen)
                path.append(.key(stack[last].key))
            } else {
                stack[last].items.append(node)
                if try endOfList("]") { node = .array(stack.removeLast().items); continue }
                path.append(.index(stack[last].items.count))
            }
            return nil
        }
        return node
    }

    /// `"key" :`, refusing a key the object already has.
    private mutating func memberKey(_ seen: inout Set<String>) throws(LeaseBookProblem) -> String {
        guard peek(is: "\"") else { throw unexpected("a key in double quotes") }
        let keyStart = i
        let key = try string()
        guard seen.insert(key).inserted else {
            throw problem("has the key \"\(sanitized(String(key.prefix(64))))\" twice \(placeText)", at: keyStart)
        }
        skipSpace()
        try expect(":")
        return key
    }

    /// After a member or item: true at the closing bracket, false after a comma.
    private mutating func endOfList(_ close: Unicode.Scalar) throws(LeaseBookProblem) -> Bool {
        guard i < bytes.count else { throw truncated() }
        if peek(is: ",") { i += 1; return false }
        if peek(is: close) { i += 1; return true }
        throw unexpected("',' or '\(close)'")
    }

    private mutating func literal(_ word: String, _ node: JSONNode) throws(LeaseBookProblem) -> JSONNode {
        let w = Array(word.utf8)
        guard bytes.count - i >= w.count else { throw truncated() }
        guard bytes[i..<i + w.count].elementsEqual(w) else { throw unexpected("a value") }
        i += w.count
        return node
    }

    /// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, kept as text.
    private mutating func number() throws(LeaseBookProblem) -> String {
        let start = i
        if peek(is: "-") { i += 1 }
        if peek(is: "0") { i += 1 } else { try digits() }
        if peek(is: ".") { i += 1; try digits() }
        if peek(is: "e") || peek(is: "E") {
            i += 1
            if peek(is: "+") || peek(is: "-") { i += 1 }
            try digits()
        }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    private mutating func digits() throws(LeaseBookProblem) {
        let start = i
        while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
        if i == start { throw i < bytes.count ? unexpected("a digit") : truncated() }
    }

    // MARK: strings

    private mutating func string() throws(LeaseBookProblem) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw truncated() }
            let b = bytes[i]
            if b == UInt8(ascii: "\"") { i += 1; break }
            if b < 0x20 { throw problem("has a raw control character (byte \(b)) inside a string", at: i, then: "JSON writes it as \\u00XX") }
            if b == UInt8(ascii: "\\") { try escape(into: &out) } else { out.append(b); i += 1 }
        }
        guard let s = String(validating: out, as: UTF8.self) else {
            throw problem("has a string that is not valid UTF-8", at: start)
        }
        return s
    }

    /// \" \\ \/ \b \f \n \r \t
    private static let simpleEscapes: [UInt8: UInt8] = [0x22: 0x22, 0x5C: 0x5C, 0x2F: 0x2F, 0x62: 0x08, 0x66: 0x0C, 0x6E: 0x0A, 0x72: 0x0D, 0x74: 0x09]

    private mutating func escape(into out: inout [UInt8]) throws(LeaseBookProblem) {
        guard i + 1 < bytes.count else { throw truncated() }
        let c = bytes[i + 1]
        i += 2
        if let s = StrictJSONParser.simpleEscapes[c] { out.append(s); return }
        guard c == UInt8(ascii: "u") else { throw problem("has an unknown escape \\\(Unicode.Scalar(c)) in a string", at: i - 2) }
        var scalar = try hex4()
        if (0xD800...0xDBFF).contains(scalar), bytes.count - i >= 6, bytes[i] == 0x5C, bytes[i + 1] == UInt8(ascii: "u") {
            i += 2
            let low = try hex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw problem("has a broken UTF-16 surrogate pair in a string", at: i - 12) }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let u = Unicode.Scalar(scalar) else { throw problem("has a lone UTF-16 surrogate in a string", at: i - 6) }
        out.append(contentsOf: Array(String(Character(u)).utf8))
    }

    private mutating func hex4() throws(LeaseBookProblem) -> UInt32 {
        guard bytes.count - i >= 4 else { throw truncated() }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = hexValue(bytes[i]) else { throw unexpected("a hex digit") }
            v = v << 4 | d
            i += 1
        }
        return v
    }

    private func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(b - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: small steps and messages

    private mutating func skipSpace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x09 || bytes[i] == 0x0D { i += 1 }
    }

    private func peek(is c: Unicode.Scalar) -> Bool { i < bytes.count && bytes[i] == UInt8(c.value) }

    private mutating func expect(_ c: Unicode.Scalar) throws(LeaseBookProblem) {
        guard i < bytes.count else { throw truncated() }
        guard peek(is: c) else { throw unexpected("'\(c)'") }
        i += 1
    }

    /// "leases[0].owner", or "" at the top level.
    private var pathText: String {
        var s = ""
        for step in path {
            switch step {
            case .index(let n): s += "[\(n)]"
            case .key(let k): s += (s.isEmpty ? "" : ".") + sanitized(String(k.prefix(64)))
            }
        }
        return s
    }

    private var placeText: String { path.isEmpty ? "at the top level" : "in \(pathText)" }

    private func unexpected(_ wanted: String) -> LeaseBookProblem {
        guard i < bytes.count else { return truncated() }
        let b = bytes[i]
        let seen = b >= 0x20 && b < 0x7F ? "'\(Unicode.Scalar(b))'" : "byte \(b)"
        return problem("is not valid JSON: expected \(wanted) \(placeText), found \(seen)", at: i)
    }

    private func truncated() -> LeaseBookProblem {
        problem("is not valid JSON: it ends \(path.isEmpty ? "inside the top level" : "inside " + pathText)", at: bytes.count, then: "the file is cut short")
    }

    /// "TEXT (line L, column C); THEN".
    private func problem(_ text: String, at offset: Int, then hint: String? = nil) -> LeaseBookProblem {
        var line = 1, lineStart = 0
        for (n, b) in bytes[..<min(offset, bytes.count)].enumerated() where b == 0x0A { line += 1; lineStart = n + 1 }
        return LeaseBookProblem("\(text) (line \(line), column \(offset - lineStart + 1))" + (hint.map { "; " + $0 } ?? ""))
    }
}
