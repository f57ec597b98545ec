/// The human output of `portdash status`: one aligned row per port.
public struct StatusTable {
    public struct Style: Sendable {
        public var color: Bool
        public init(color: Bool) { self.color = color }
    }

    public let snapshot: PortSnapshot
    public let style: Style
    /// Cut every line to this many cells (the terminal width); nil: no cut.
    public let width: Int?

    public init(snapshot: PortSnapshot, style: Style, width: Int?) {
        self.snapshot = snapshot; self.style = style; self.width = width
    }

    public func render() -> String {
        let rows = snapshot.ports.map(PortRow.init)
        return PortRow.table.render(rows.map(\.cells), width: width) { row, column, text in
            // Colour only the STATE cell, so the rest stays easy to read.
            guard style.color else { return text }
            if row < 0 { return "\u{1B}[1m" + text + "\u{1B}[0m" }
            guard column == PortRow.Column.state.rawValue else { return text }
            return "\u{1B}[\(StatusTable.colourCode(rows[row].state))m" + text + "\u{1B}[0m"
        }
    }

    static func colourCode(_ state: PortState) -> String {
        switch state {
        case .free: return "32"
        case .ours: return "36"
        case .foreign: return "33"
        case .conflict: return "1;31"
        }
    }
}
