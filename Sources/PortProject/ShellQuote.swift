import PortKit

/// Values as a shell reads them back unchanged: bare when only safe
/// characters, else in single quotes (a ' inside as '\''); a value with a
/// control or invisible character (TerminalText.needsEscape) in ANSI-C
/// quotes, `$'a\nb\e'` (bash, zsh, ksh, busybox sh, POSIX.1-2024), so no raw
/// control byte reaches a terminal and `eval` still gets the value back.
public enum ShellQuote {
    public static func quoted(_ value: String) -> String {
        if value.unicodeScalars.contains(where: TerminalText.needsEscape) { return ansiC(value) }
        return isPlain(value, alsoAllowing: "=") ? value : "'" + value.replacingAll("'", with: "'\\''") + "'"
    }

    /// `$'…'`: \\ and \' for themselves, \n \t \r \e, every other such character as its UTF-8 bytes (\xHH).
    static func ansiC(_ value: String) -> String {
        var out = "$'"
        for u in value.unicodeScalars {
            switch u {
            case "\\": out += "\\\\"
            case "'": out += "\\'"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{1B}": out += "\\e"
            case _ where TerminalText.needsEscape(u):
                for b in String(u).utf8 { out += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16) }
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "'"
    }

    /// Non-empty, and only letters, digits and `_./:@%+,-` (plus `extra`):
    /// characters neither a shell nor a dotenv reader treats specially.
    static func isPlain(_ value: String, alsoAllowing extra: String = "") -> Bool {
        !value.isEmpty && value.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9")
                || "_./:@%+,-".unicodeScalars.contains(u) || extra.unicodeScalars.contains(u)
        }
    }
}
