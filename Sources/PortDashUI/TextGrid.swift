import PortKit

/// How a cell is drawn. The terminal maps styles to colours, or to bold and
/// reverse video when colour is off (NO_COLOR, a mono terminal).
public enum Style: UInt8, Sendable, CaseIterable {
    case normal, title, heading, selected, free, ours, foreign, conflict, dim, error, key, box, ok
}

/// The screen as plain data: what the dashboard renders into, what golden
/// tests compare, and what the terminal copies out row by row.
public struct TextGrid: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var rows: [[Character]]
    public private(set) var styles: [[Style]]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        rows = Array(repeating: Array(repeating: " ", count: self.width), count: self.height)
        styles = Array(repeating: Array(repeating: .normal, count: self.width), count: self.height)
    }

    /// Writes `text` at (row, col), clipped to the grid (or `maxWidth`); a
    /// text that does not fit ends in "…", so a cut never passes for a
    /// whole word. Wide characters take two cells (the second is a NUL
    /// placeholder). Returns the next column.
    @discardableResult
    public mutating func put(_ row: Int, _ col: Int, _ text: String, _ style: Style = .normal, maxWidth: Int? = nil) -> Int {
        guard row >= 0, row < height else { return col }
        let limit = min(width, col + (maxWidth ?? width))
        var shown = sanitized(text)
        if shown.displayWidth > limit - col {
            // Trailing blanks (a separator) may go without a mark.
            while shown.hasSuffix(" ") { shown.removeLast() }
            if shown.displayWidth > limit - col { shown = shown.truncated(to: limit - col) }
        }
        var c = col
        for ch in shown {
            let w = ch.unicodeScalars.first.map { String($0).displayWidth } ?? 1
            if w == 0 { continue }
            if c + w > limit { break }
            if c >= 0 {
                rows[row][c] = ch
                styles[row][c] = style
                if w == 2 { rows[row][c + 1] = "\0"; styles[row][c + 1] = style }
            }
            c += w
        }
        return c
    }

    /// Sets the style of a span without changing its text (selection bars).
    public mutating func paint(_ row: Int, from col: Int = 0, to end: Int? = nil, _ style: Style) {
        guard row >= 0, row < height else { return }
        for c in max(0, col)..<min(width, end ?? width) { styles[row][c] = style }
    }

    /// Fills a row span with spaces in `style`.
    public mutating func fill(_ row: Int, from col: Int = 0, to end: Int? = nil, _ style: Style) {
        guard row >= 0, row < height else { return }
        for c in max(0, col)..<min(width, end ?? width) { rows[row][c] = " "; styles[row][c] = style }
    }

    /// Row `r` as text, trailing spaces removed.
    public func line(_ r: Int) -> String {
        var s = String(rows[r].filter { $0 != "\0" })
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }

    /// The whole screen as text, one line per row (golden files).
    public var text: String { (0..<height).map(line).joined(separator: "\n") + "\n" }
}
