/// The one shell quoter: values and paths as every POSIX shell reads them
/// back byte for byte (dash, Debian's /bin/sh, as well as bash, zsh, ksh,
/// mksh and busybox sh), with no raw control character in what it writes,
/// since that may be shown on a terminal (`portdash env`, the router's
/// error pages).
///
/// - Plain values stay bare: `5001`, `http://127.0.0.1:5001/`.
/// - Others go in single quotes, a `'` inside as `'\''`.
/// - Bytes a terminal would obey or hide (TerminalText.needsEscape: C0, DEL,
///   C1, bidi overrides, invisible and line-separator characters) and bytes
///   that are not UTF-8 are written as octal escapes of printf(1), which
///   POSIX defines: `'a'"$(printf '\033')"'b'`. `$'…'` is not used: dash
///   does not read it.
/// - Command substitution drops trailing newlines, so a newline is written
///   with what follows it (`"$(printf '\012\142')"`); at the very end a
///   sentinel follows and is taken off again (see `assignment`, `directory`).
public enum ShellQuote {
    /// `NAME=value`, or `export NAME=value`, for `eval`: the variable holds
    /// exactly `value`'s bytes afterwards. A value ending in newlines gets a
    /// `.` after them, and a second statement removes it:
    /// `X='a'"$(printf '\012\056')"; X="${X%.}"`.
    public static func assignment(_ name: String, _ value: [UInt8], export: Bool) -> String {
        let (quoted, sentinel) = word(value, sentinel: UInt8(ascii: "."))
        return (export ? "export " : "") + name + "=" + quoted + (sentinel ? "; \(name)=\"${\(name)%.}\"" : "")
    }

    public static func assignment(_ name: String, _ value: String, export: Bool) -> String {
        assignment(name, Array(value.utf8), export: export)
    }

    /// A directory as one word (for `cd`): a path ending in newlines gets a
    /// `/` after them, which names the same directory.
    public static func directory(_ path: String) -> String {
        word(Array(path.utf8), sentinel: UInt8(ascii: "/")).text
    }

    /// One argument of a command line a person copies (`sudo install FILE …`,
    /// `portdash up SERVICE`). Trailing newlines cannot survive command
    /// substitution there, so they are the one thing dropped: paths and
    /// names portdash shows here do not end in one (a directory uses
    /// `directory`, which keeps them).
    public static func quoted(_ text: String) -> String {
        var bytes = Array(text.utf8)
        while bytes.last == 10 { bytes.removeLast() }
        return word(bytes, sentinel: UInt8(ascii: ".")).text
    }

    /// Non-empty, and only letters, digits and `_./:@%+,-` (plus `extra`):
    /// characters neither a shell nor a dotenv reader treats specially.
    public static func isPlain(_ value: String, alsoAllowing extra: String = "") -> Bool {
        !value.isEmpty && value.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9")
                || "_./:@%+,-".unicodeScalars.contains(u) || extra.unicodeScalars.contains(u)
        }
    }

    /// The quoted word; `sentinel` is appended after trailing newlines, and
    /// the flag says whether it was.
    static func word(_ bytes: [UInt8], sentinel: UInt8) -> (text: String, sentinel: Bool) {
        if let text = String(validating: bytes, as: UTF8.self), !text.unicodeScalars.contains(where: TerminalText.needsEscape) {
            return (isPlain(text, alsoAllowing: "=") ? text : singleQuoted(text), false)
        }
        var runs = ShellQuote.runs(bytes)
        var out = ""
        var used = false
        var i = 0
        while i < runs.count {
            if !runs[i].escaped {
                out += singleQuoted(String(decoding: runs[i].bytes, as: UTF8.self))
            } else {
                var piece = runs[i].bytes
                if piece.last == 10 {
                    if i + 1 < runs.count {
                        // The next character goes into the printf too, so the newline is not the last byte.
                        let n = scalarLength(runs[i + 1].bytes[0])
                        piece += runs[i + 1].bytes.prefix(n)
                        runs[i + 1].bytes.removeFirst(n)
                        if runs[i + 1].bytes.isEmpty { runs.remove(at: i + 1) }
                    } else {
                        piece.append(sentinel)
                        used = true
                    }
                }
                out += "\"$(printf '" + piece.map(octal).joined() + "')\""
            }
            i += 1
        }
        return (out, used)
    }

    /// The bytes in runs of characters written as they are and runs written
    /// as octal escapes (needsEscape characters, bytes that are not UTF-8).
    static func runs(_ bytes: [UInt8]) -> [(bytes: [UInt8], escaped: Bool)] {
        var runs: [(bytes: [UInt8], escaped: Bool)] = []
        var parser = Unicode.UTF8.ForwardParser()
        var input = bytes.makeIterator()
        func add(_ piece: some Sequence<UInt8>, escaped: Bool) {
            if let last = runs.indices.last, runs[last].escaped == escaped { runs[last].bytes += piece } else { runs.append((Array(piece), escaped)) }
        }
        var offset = 0
        while true {
            switch parser.parseScalar(from: &input) {
            case .valid(let encoded):
                let scalar = Unicode.UTF8.decode(encoded)
                add(encoded, escaped: TerminalText.needsEscape(scalar))
                offset += encoded.count
            case .error(let length):
                add(bytes[offset..<offset + length], escaped: true)
                offset += length
            case .emptyInput:
                return runs
            }
        }
    }

    static func singleQuoted(_ text: String) -> String {
        "'" + text.replacingAll("'", with: "'\\''") + "'"
    }

    /// `\033`: three octal digits, as POSIX printf reads them in a format.
    static func octal(_ byte: UInt8) -> String {
        "\\" + String(byte >> 6) + String((byte >> 3) & 7) + String(byte & 7)
    }

    /// The length of a UTF-8 sequence from its first byte (runs written as
    /// they are hold valid UTF-8 only).
    static func scalarLength(_ lead: UInt8) -> Int {
        lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
    }
}
