/// A text file's lines, as every line-based reader here wants them.
enum TextLines {
    /// Split at LF; a CR before it (a file written on Windows) goes too. A
    /// split on the Character "\n" would miss CRLF, which Swift counts as one
    /// Character, and read a whole Procfile as one line. A leading byte-order
    /// mark goes as well.
    static func of(_ text: String) -> [String] {
        var scalars = Substring(text).unicodeScalars
        if scalars.first == "\u{FEFF}" { scalars = scalars.dropFirst() }
        return scalars.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var s = String(String.UnicodeScalarView(line))
            if s.unicodeScalars.last == "\r" { s.unicodeScalars.removeLast() }
            return s
        }
    }
}
