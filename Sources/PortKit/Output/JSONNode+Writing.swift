/// The one JSON writer. Three layouts of the same text:
/// - `.tight`, `{"a":1,"b":[true,null]}`: `--json` output and serve's
///   endpoints (one line, no spaces: a reader splits on newlines);
/// - `.spaced`, `{"a": 1, "b": [true, null]}`: the state file's inner lines;
/// - `.pretty(expand:)`: one member or item per line down to `expand`
///   levels, `.spaced` below (the state file shows one lease per line).
extension JSONNode {
    public enum Layout: Sendable, Equatable {
        case tight
        case spaced
        case pretty(expand: Int)
    }

    /// The whole value as `.tight` text.
    public func serialized() -> String { written(.tight) }

    public func written(_ layout: Layout) -> String {
        var out = ""
        write(into: &out, layout: layout)
        return out
    }

    public func write(into out: inout String, layout: Layout = .tight, indent: String = "") {
        switch (self, layout) {
        case (.null, _): out += "null"
        case (.bool(let b), _): out += b ? "true" : "false"
        case (.number(let text), _): out += text
        case (.string(let s), _): JSONNode.writeString(s, into: &out)
        case (.array(let items), _):
            writeList(items.map { item in { item.write(into: &$0, layout: $1, indent: $2) } }, open: "[", close: "]",
                      into: &out, layout: layout, indent: indent)
        case (.object(let members), _):
            writeList(members.map { m in { out, layout, indent in
                JSONNode.writeString(m.key, into: &out)
                out += layout == .tight ? ":" : ": "
                m.value.write(into: &out, layout: layout, indent: indent)
            } }, open: "{", close: "}", into: &out, layout: layout, indent: indent)
        }
    }

    /// The items of an array or object, each written by its closure with the
    /// layout one level down.
    private func writeList(_ items: [(inout String, Layout, String) -> Void], open: String, close: String,
                           into out: inout String, layout: Layout, indent: String) {
        out += open
        if case .pretty(let expand) = layout, expand > 0, !items.isEmpty {
            let inner = indent + "  "
            let below: Layout = expand > 1 ? .pretty(expand: expand - 1) : .spaced
            for (i, item) in items.enumerated() {
                out += (i > 0 ? ",\n" : "\n") + inner
                item(&out, below, inner)
            }
            out += "\n" + indent + close
            return
        }
        let flat: Layout = layout == .tight ? .tight : .spaced
        for (i, item) in items.enumerated() {
            if i > 0 { out += flat == .tight ? "," : ", " }
            item(&out, flat, indent)
        }
        out += close
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
