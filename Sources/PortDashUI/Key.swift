/// A key press (or terminal event) as the dashboard sees it. Raw curses key
/// codes are mapped to this in exactly one place (CursesTerminal).
public enum Key: Hashable, Sendable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, backspace, tab
    case function(Int)
    case ctrl(Character)
    case resize
    /// A click at (row, column) of the screen.
    case click(row: Int, col: Int)
    case wheelUp, wheelDown
    /// A key the dashboard has no name for (Insert, Shift-Tab), by its terminfo name.
    case other(String)
    /// Text the terminal delivered as a bracketed paste: text for an open
    /// prompt, never keys. Only the terminal's key mapping makes one.
    case paste(String)

    /// How the help screen names the key.
    public var label: String {
        switch self {
        case .char(" "): return "Space"
        case .char(let c): return String(c)
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .home: return "Home"
        case .end: return "End"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .backspace: return "Backspace"
        case .tab: return "Tab"
        case .function(let n): return "F\(n)"
        case .ctrl(let c): return "Ctrl-\(c.uppercased())"
        case .resize: return "resize"
        case .click: return "click"
        case .wheelUp: return "wheel↑"
        case .wheelDown: return "wheel↓"
        case .other(let name): return name
        case .paste: return "paste"
        }
    }
}
