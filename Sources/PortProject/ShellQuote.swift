import PortKit

/// Values as a shell reads them back unchanged: bare when only safe
/// characters, else in single quotes (a ' inside as '\'').
public enum ShellQuote {
    public static func quoted(_ value: String) -> String {
        isPlain(value, alsoAllowing: "=") ? value : "'" + value.replacingAll("'", with: "'\\''") + "'"
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
