/// The one aligned-table writer (`status`, `leases`, the dashboard's list):
/// each column as wide as its widest cell, up to its cap; the last column
/// takes what is left. When the width is too small, columns are dropped in
/// their `dropOrder` (highest first; 0 is never dropped).
public struct TextTable: Sendable {
    public struct Column: Sendable {
        public let title: String
        public let cap: Int
        public let dropOrder: Int
        public init(_ title: String, cap: Int = .max, dropOrder: Int = 0) {
            self.title = title; self.cap = cap; self.dropOrder = dropOrder
        }
    }

    /// A column shown, where its cells start and how wide they are.
    public struct Placed: Sendable, Equatable {
        public let index: Int
        public let x: Int
        public let width: Int
    }

    public let columns: [Column]
    public let gap: Int
    /// Cells the last column keeps before others are dropped.
    public let lastColumnMinimum: Int

    public init(_ columns: [Column], gap: Int = 2, lastColumnMinimum: Int = 20) {
        self.columns = columns; self.gap = gap; self.lastColumnMinimum = lastColumnMinimum
    }

    /// Which columns show at `width` (nil: no limit), sized to `rows`.
    public func layout(_ rows: [[String]], width: Int?) -> [Placed] {
        var widths = columns.map { $0.title.displayWidth }
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.displayWidth) } }
        widths = zip(widths, columns).map { min($0, $1.cap) }
        var shown = Array(columns.indices)
        func used() -> Int { shown.dropLast().reduce(0) { $0 + widths[$1] + gap } }
        if let width {
            let droppable = columns.indices.filter { columns[$0].dropOrder > 0 }.sorted { columns[$0].dropOrder > columns[$1].dropOrder }
            for i in droppable where used() + lastColumnMinimum > width { shown.removeAll { $0 == i } }
        }
        var x = 0
        return shown.map { i in
            defer { x += widths[i] + gap }
            // The last column: the rest of the line (its content's width when unlimited).
            let w = i == shown.last ? width.map { max(0, $0 - x) } ?? widths[i] : widths[i]
            return Placed(index: i, x: x, width: w)
        }
    }

    /// Plain text, one line per row after a heading, trailing blanks trimmed.
    /// `decorate` may wrap a padded cell (colour); it must not change its width.
    public func render(_ rows: [[String]], width: Int?, decorate: (Int, Int, String) -> String = { $2 }) -> String {
        let placed = layout(rows, width: width)
        var out = ""
        for (r, cells) in ([columns.map(\.title)] + rows).enumerated() {
            var line = ""
            for p in placed {
                let last = p.index == placed.last?.index
                let text = last ? cells[p.index].truncated(to: p.width) : cells[p.index].padded(to: p.width)
                line += decorate(r - 1, p.index, text) + (last ? "" : String(repeating: " ", count: gap))
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        return out
    }
}
