/// The one sanitizer for text that came from outside (process names,
/// command lines, user, file and service names) on its way to a terminal.
///
/// A process can name itself with escape sequences (prctl(PR_SET_NAME)), so
/// every control character becomes a visible escape instead of a raw byte:
/// ESC → `\e`, newline → `\n`, tab → `\t`, CR → `\r`, other C0 and DEL →
/// `\xNN`, C1 controls (U+0080–U+009F, which UTF-8 terminals may obey as
/// CSI and friends) and the bidirectional overrides that reorder what is
/// shown (U+202A–U+202E, U+2066–U+2069: "Trojan Source") → `\u{NNNN}`.
/// One line stays one line. JSON output escapes the same characters its
/// own way (JSONNode).
public enum TerminalText {
    public static func sanitized(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: needsEscape) else { return s }
        var out = ""
        for u in s.unicodeScalars {
            if needsEscape(u) { out += visibleEscape(u) } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    public static func needsEscape(_ u: Unicode.Scalar) -> Bool {
        let v = u.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
            || invisible.contains(v)
    }

    /// Invisible or line-breaking format characters: zero-width space and
    /// joiners, the left-to-right and right-to-left marks (U+200B–U+200F),
    /// the Arabic letter mark (U+061C), the line and paragraph separators
    /// (U+2028, U+2029: a new line in some terminals), the byte-order mark.
    static let invisible: Set<UInt32> = [0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF]

    static func visibleEscape(_ u: Unicode.Scalar) -> String {
        switch u.value {
        case 0x1B: return "\\e"
        case 0x0A: return "\\n"
        case 0x09: return "\\t"
        case 0x0D: return "\\r"
        case 0..<0x20, 0x7F: return "\\x" + hexDigits(u.value, width: 2)
        default: return "\\u{" + hexDigits(u.value, width: 4) + "}"
        }
    }

    static func hexDigits(_ v: UInt32, width: Int) -> String {
        let h = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }
}

/// `TerminalText.sanitized`, under the short name its many callers use.
public func sanitized(_ s: String) -> String { TerminalText.sanitized(s) }
