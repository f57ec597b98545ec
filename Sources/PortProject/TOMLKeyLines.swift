/// Where each key of a TOML text is written, line by line: TOMLKit reports
/// lines for syntax errors only, and a problem with a valid file (an unknown
/// key, a cycle, a bad template) must still name its line.
///
/// Reads `[a.b]` and `[[a.b]]` headers, `key = …` and dotted `a.b = …`
/// lines (bare or quoted keys), and the keys of inline tables
/// (`env = { A = "1" }`); skips comments and the inside of multi-line strings.
public struct TOMLKeyLines: Sendable {
    private var lines: [[String]: Int] = [:]

    public init(_ text: String) {
        var table: [String] = []
        var inMultiline: String? = nil
        for (n, raw) in TextLines.of(text).enumerated() {
            let line = n + 1
            var s = Substring(raw)
            if let delim = inMultiline {
                guard let end = s.firstRange(of: delim) else { continue }
                s = s[end.upperBound...]
                inMultiline = nil
            }
            s = s.drop { $0 == " " || $0 == "\t" }
            if s.first == "[" {
                let header = s.drop { $0 == "[" }
                if let (path, _) = TOMLKeyLines.key(header) { table = path; record(path, line) }
                continue
            }
            guard let (path, rest) = TOMLKeyLines.key(s), rest.first == "=" else { continue }
            record(table + path, line)
            inMultiline = scanValue(rest.dropFirst(), under: table + path, line: line)
        }
    }

    /// The line where `path` is set; else where its nearest enclosing table
    /// or key is (an inline table's line for a key inside it).
    public func line(of path: [String]) -> Int? {
        var p = path
        while !p.isEmpty {
            if let l = lines[p] { return l }
            p.removeLast()
        }
        return nil
    }

    /// The deepest key set on `line` ("services.web.command"); nil if none is.
    public func key(on line: Int) -> [String]? {
        lines.filter { $0.value == line }.keys.max { ($0.count, $1.joined(separator: ".")) < ($1.count, $0.joined(separator: ".")) }
    }

    private mutating func record(_ path: [String], _ line: Int) {
        for i in 1...max(1, path.count) where lines[Array(path.prefix(i))] == nil {
            lines[Array(path.prefix(i))] = line
        }
    }

    /// Inline-table keys in a value, recorded under `path`; returns the
    /// delimiter of a multi-line string left open at the end of the line.
    private mutating func scanValue(_ value: Substring, under path: [String], line: Int) -> String? {
        var stack: [[String]] = []
        var s = value.drop { $0 == " " || $0 == "\t" }
        for delim in ["\"\"\"", "'''"] where s.hasPrefix(delim) {
            return s.dropFirst(3).contains(delim) ? nil : delim
        }
        var current = path
        while let c = s.first {
            switch c {
            case "#": return nil
            case "\"", "'": s = TOMLKeyLines.skipString(s)
            case "{", ",":
                if c == "{" { stack.append(current) }
                s = s.dropFirst().drop { $0 == " " || $0 == "\t" }
                if let top = stack.last, let (k, rest) = TOMLKeyLines.key(s), rest.first == "=" {
                    current = top + k
                    record(current, line)
                    s = rest.dropFirst()
                }
            case "}":
                stack.popLast().map { current = $0 }
                s = s.dropFirst()
            default: s = s.dropFirst()
            }
        }
        return nil
    }

    /// A (dotted) key at the start of `s` and what follows it, spaces skipped.
    static func key(_ s: Substring) -> ([String], Substring)? {
        var parts: [String] = []
        var rest = s
        while true {
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard let first = rest.first else { return nil }
            if first == "\"" || first == "'" {
                let after = skipString(rest)
                let consumed = rest.count - after.count  // the quotes included
                parts.append(String(rest.dropFirst().prefix(max(0, consumed - 2))))
                rest = after
            } else {
                let bare = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
                guard !bare.isEmpty else { return nil }
                parts.append(String(bare))
                rest = rest.dropFirst(bare.count)
            }
            rest = rest.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "." else { return (parts, rest) }
            rest = rest.dropFirst()
        }
    }

    /// Past a one-line string starting at `s` (basic strings honour `\"`).
    static func skipString(_ s: Substring) -> Substring {
        guard let q = s.first else { return s }
        var rest = s.dropFirst()
        while let c = rest.first {
            rest = rest.dropFirst()
            if c == "\\" && q == "\"" { rest = rest.dropFirst(); continue }
            if c == q { return rest }
        }
        return rest
    }
}
