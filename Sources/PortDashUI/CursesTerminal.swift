import CNcurses
import PortKit
import Glibc

/// The one file that talks to ncurses. Everything else draws into a
/// TextGrid; this copies changed rows to the screen and turns curses key
/// codes into `Key`s.
public final class CursesTerminal: Terminal {
    private var previous: TextGrid?
    private var attrs: [Style: Int32] = [:]
    private var stopped = false
    private let utf8: Bool
    /// Input read while looking for a paste marker that turned out not to be
    /// one: handed out again, in order, before anything new is read.
    private var readAhead: [BracketedPaste.Input] = []
    private var paste: BracketedPaste
    /// Key codes for the paste markers, where terminfo defines them as keys.
    private let pasteStartCode: Int32?
    /// How long to wait for the rest of a marker after its ESC (as curses'
    /// own ESCDELAY): a paste's bytes arrive together, a lone Esc is alone.
    private static let markerWaitMs: Int32 = 25
    /// An open paste with no end marker for this long is over: keys typed
    /// afterwards are keys again, even if a terminal lost the marker.
    private static let pasteQuietSeconds = 1.0

    /// Why this terminal cannot show the dashboard (TERM unset or dumb, a
    /// type terminfo does not know, no cursor addressing), or nil if it can.
    public static func cannotDraw(term: String?) -> String? {
        guard let term, !term.isEmpty else { return "TERM is not set, so the dashboard cannot draw" }
        if term == "dumb" { return "TERM=dumb cannot draw the dashboard (no cursor addressing)" }
        switch term.withCString({ pd_term_can_draw($0) }) {
        case 1: return "terminal type \"\(sanitized(term))\" is unknown to terminfo; set TERM to your terminal's (e.g. xterm-256color)"
        case 2: return "terminal type \"\(sanitized(term))\" has no cursor addressing, so the dashboard cannot draw"
        default: return nil
        }
    }

    /// Starts curses. `color: false` (NO_COLOR) keeps to bold and reverse video.
    public init(color: Bool) {
        setlocale(LC_ALL, "")
        // Box lines and "…" need UTF-8; fall back to C.UTF-8 rather than mojibake.
        var isUTF8 = String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8"
        if !isUTF8, setlocale(LC_CTYPE, "C.UTF-8") != nil { isUTF8 = String(cString: nl_langinfo(nl_item(CODESET))) == "UTF-8" }
        utf8 = isUTF8
        pd_install_terminal_guards()
        set_escdelay(25)  // Esc must cancel at once, not after a second
        initscr()
        // Raw, not cbreak: with ISIG on, a ^C or ^Z byte inside a bracketed
        // paste would raise a signal and quit; here they arrive as keys, and
        // the run loop acts on typed ones only (a paste is text).
        raw()
        noecho()
        nonl()
        keypad(pd_stdscr(), true)
        nodelay(pd_stdscr(), true)
        curs_set(0)
        pd_enable_mouse()
        pd_bracketed_paste(1)
        pasteStartCode = CursesTerminal.keyCode(for: "\u{1B}[200~")
        paste = BracketedPaste(endKeyCode: CursesTerminal.keyCode(for: "\u{1B}[201~"))
        setupStyles(color: color && has_colors())
    }

    /// The key code curses gives `sequence`, if its terminfo defines one.
    private static func keyCode(for sequence: String) -> Int32? {
        let code = key_defined(sequence)
        return code > 0 ? code : nil
    }

    private func setupStyles(color: Bool) {
        let bold = pd_a_bold(), rev = pd_a_reverse(), dim = pd_a_dim(), normal = pd_a_normal()
        guard color else {
            attrs = [.normal: normal, .title: bold, .heading: rev, .selected: rev, .free: normal, .ours: bold,
                     .foreign: normal, .conflict: bold | pd_a_underline(), .dim: dim, .error: bold, .key: rev,
                     .box: bold, .ok: bold]
            return
        }
        start_color()
        use_default_colors()
        let pairs: [(Style, Int16, Int16, Int32)] = [
            (.title, Int16(COLOR_CYAN), -1, bold),
            (.heading, Int16(COLOR_BLACK), Int16(COLOR_GREEN), normal),
            (.selected, Int16(COLOR_BLACK), Int16(COLOR_CYAN), normal),
            (.free, Int16(COLOR_GREEN), -1, normal),
            (.ours, Int16(COLOR_CYAN), -1, bold),
            (.foreign, Int16(COLOR_YELLOW), -1, normal),
            (.conflict, Int16(COLOR_RED), -1, bold),
            (.error, Int16(COLOR_RED), -1, bold),
            (.key, Int16(COLOR_BLACK), Int16(COLOR_CYAN), normal),
            (.box, Int16(COLOR_WHITE), -1, bold),
            (.ok, Int16(COLOR_GREEN), -1, bold),
        ]
        attrs = [.normal: normal, .dim: dim]
        for (i, (style, fg, bg, extra)) in pairs.enumerated() {
            init_pair(Int16(i + 1), fg, bg)
            attrs[style] = pd_color_pair(Int32(i + 1)) | extra
        }
    }

    public var size: (width: Int, height: Int) { (Int(pd_cols()), Int(pd_lines())) }
    public var inputDescriptor: Int32 { 0 }

    public func draw(_ grid: TextGrid, cursor: (row: Int, col: Int)?) {
        let fresh = previous == nil || previous!.width != grid.width || previous!.height != grid.height
        if fresh { erase() }
        for r in 0..<grid.height {
            if !fresh, previous!.rows[r] == grid.rows[r], previous!.styles[r] == grid.styles[r] { continue }
            drawRow(grid, r)
        }
        previous = grid
        if let cursor {
            curs_set(1)
            move(Int32(cursor.row), Int32(cursor.col))
        } else {
            curs_set(0)
        }
        refresh()
    }

    /// One row as runs of equal style. The last cell of the last row is
    /// skipped: writing it scrolls some terminals.
    private func drawRow(_ grid: TextGrid, _ r: Int) {
        var c = 0
        let lastCol = r == grid.height - 1 ? grid.width - 1 : grid.width
        while c < lastCol {
            let style = grid.styles[r][c]
            var run = ""
            let start = c
            while c < lastCol && grid.styles[r][c] == style {
                let ch = grid.rows[r][c]
                if ch != "\0" { run.append(utf8 || ch.isASCII ? ch : "?") }
                c += 1
            }
            let a = attrs[style] ?? pd_a_normal()
            run.withCString { pd_put(Int32(r), Int32(start), $0, -1, a) }
        }
    }

    public func readKey() -> Key? {
        if paste.isOpen { return readPaste() }
        guard let input = next(wait: false) else { return nil }
        if isPasteStart(input) {
            paste.open(at: monotonicSeconds())
            return readPaste()
        }
        return key(for: input) ?? readKey()
    }

    /// One unit of input: read ahead first, then curses (waiting up to
    /// `markerWaitMs` when `wait`, else not at all).
    private func next(wait: Bool) -> BracketedPaste.Input? {
        if !readAhead.isEmpty { return readAhead.removeFirst() }
        if wait { wtimeout(pd_stdscr(), CursesTerminal.markerWaitMs) }
        defer { if wait { nodelay(pd_stdscr(), true) } }
        var wch: wint_t = 0
        let r = get_wch(&wch)
        if r == pd_err() { return nil }
        if r == pd_key_code_yes() {
            let code = Int32(bitPattern: UInt32(wch))
            if code == pd_key_resize() { previous = nil }  // also when a paste swallows it
            return .keyCode(code)
        }
        return .scalar(UInt32(wch))
    }

    /// ESC [ 2 0 0 ~ (or its key code). Anything else read on the way is
    /// put back, and the ESC stays an Esc key.
    private func isPasteStart(_ input: BracketedPaste.Input) -> Bool {
        if case .keyCode(let code) = input { return code == pasteStartCode }
        guard input == .scalar(BracketedPaste.escape) else { return false }
        let (matched, ahead) = BracketedPaste.matchRest(BracketedPaste.startRest) { next(wait: true) }
        if !matched { readAhead.insert(contentsOf: ahead, at: 0) }
        return matched
    }

    /// Continues the open paste: `.paste` once its end marker has arrived,
    /// nil while more is to come (the run loop polls and calls again).
    private func readPaste() -> Key? {
        let now = monotonicSeconds()
        if now - paste.lastInput > CursesTerminal.pasteQuietSeconds { return .paste(paste.close()) }
        let text = paste.feed(now: now, read: { next(wait: true) }, unread: { readAhead.insert(contentsOf: $0, at: 0) })
        return text.map { .paste($0) }
    }

    /// A curses key code or character as a `Key`; nil for what the
    /// dashboard does not use.
    private func key(for input: BracketedPaste.Input) -> Key? {
        switch input {
        case .keyCode(let code): return key(code: code)
        case .scalar(let value): return key(scalar: value)
        }
    }

    private func key(code: Int32) -> Key? {
        switch code {
        case pd_key_up(): return .up
        case pd_key_down(): return .down
        case pd_key_left(): return .left
        case pd_key_right(): return .right
        case pd_key_ppage(): return .pageUp
        case pd_key_npage(): return .pageDown
        case pd_key_home(): return .home
        case pd_key_end(): return .end
        case pd_key_enter(): return .enter
        case pd_key_backspace(), pd_key_dc(): return .backspace
        case pd_key_resize(): return .resize
        case pd_key_mouse():
            var y: Int32 = 0, x: Int32 = 0
            switch pd_mouse_click(&y, &x) {
            case 1: return .click(row: Int(y), col: Int(x))
            case 2: return .wheelUp
            case 3: return .wheelDown
            default: return nil
            }
        default:
            if let f = (1...12).first(where: { code == pd_key_f(Int32($0)) }) { return .function(f) }
            // Insert, Shift-Tab, …: a key with nothing bound, said so by name.
            return keyname(code).map { .other(String(cString: $0)) }
        }
    }

    private func key(scalar value: UInt32) -> Key? {
        switch value {
        case 10, 13: return .enter
        case 27: return .escape
        case 127, 8: return .backspace
        case 9: return .tab
        case 1...26: return .ctrl(Character(UnicodeScalar(UInt8(value + 96))))
        default: return UnicodeScalar(value).map { .char(Character($0)) }
        }
    }

    public func discardTypeAhead() {
        // An open paste is left open: the rest of it, arriving later, must
        // still be read as paste and not as keys.
        readAhead.removeAll()
        flushinp()
    }

    public func invalidate() {
        previous = nil
        clearok(pd_stdscr(), true)
    }

    /// endwin() and bracketed paste off: the terminal goes back exactly as it
    /// was. Safe to call twice.
    public func stop() {
        if stopped { return }
        stopped = true
        endwin()
        pd_bracketed_paste(0)
    }

    public func suspend() {
        endwin()
        pd_bracketed_paste(0)
    }

    /// The next draw's refresh() takes curses mode back (as after any endwin()).
    public func resume() {
        pd_bracketed_paste(1)
        discardTypeAhead()
        invalidate()
    }

    deinit { stop() }
}
