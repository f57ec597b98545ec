/// Finds a `\u0000` (or `\U00000000`) escape in a TOML text's basic strings
/// and quoted keys. TOML allows it, but TOMLKit hands strings over as C
/// strings, which end at the NUL: `"abc\u0000def"` would silently read as
/// "abc". No command, name or variable can carry a NUL anyway, so such a
/// file is refused instead (TOMLDocument).
///
/// Walks the text as TOML tokenizes it: comments, literal strings ('…',
/// '''…''', where a backslash is text) and basic strings ("…", """…""").
enum TOMLNulEscape {
    /// The line (1-based) where the string holding the first NUL escape begins, or nil.
    static func line(in text: String) -> Int? {
        var scanner = Scanner(Array(text.utf8))
        return scanner.run()
    }

    struct Scanner {
        let b: [UInt8]
        var i = 0
        var line = 1

        init(_ bytes: [UInt8]) { b = bytes }

        mutating func run() -> Int? {
            while i < b.count {
                switch b[i] {
                case UInt8(ascii: "#"): skipComment()
                case UInt8(ascii: "'"): skipLiteral()
                case UInt8(ascii: "\""):
                    let start = line
                    if basicStringHasNul() { return start }
                default: step()
                }
            }
            return nil
        }

        /// One byte forward, counting lines.
        mutating func step() {
            if b[i] == UInt8(ascii: "\n") { line += 1 }
            i += 1
        }

        func starts(_ s: String) -> Bool {
            let u = Array(s.utf8)
            return i + u.count <= b.count && Array(b[i..<(i + u.count)]) == u
        }

        mutating func skipComment() {
            while i < b.count && b[i] != UInt8(ascii: "\n") { i += 1 }
        }

        mutating func skipLiteral() {
            let delim = starts("'''") ? "'''" : "'"
            i += delim.utf8.count
            while i < b.count && !starts(delim) { step() }
            i = min(b.count, i + delim.utf8.count)
        }

        /// Past a basic string; true if it holds a NUL escape.
        mutating func basicStringHasNul() -> Bool {
            let delim = starts("\"\"\"") ? "\"\"\"" : "\""
            i += delim.utf8.count
            while i < b.count && !starts(delim) {
                if b[i] == UInt8(ascii: "\\") && i + 1 < b.count {
                    let kind = b[i + 1]
                    i += 2
                    let digits = kind == UInt8(ascii: "u") ? 4 : kind == UInt8(ascii: "U") ? 8 : 0
                    if digits > 0 && isZero(digits) { return true }
                    if kind == UInt8(ascii: "\n") { line += 1 }  // a line-ending backslash
                    continue
                }
                step()
            }
            i = min(b.count, i + delim.utf8.count)
            return false
        }

        /// The next `n` bytes are hex digits with the value 0.
        func isZero(_ n: Int) -> Bool {
            guard i + n <= b.count else { return false }
            return b[i..<(i + n)].allSatisfy { $0 == UInt8(ascii: "0") }
        }
    }
}
