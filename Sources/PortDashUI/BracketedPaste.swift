/// Bracketed paste (xterm's mode 2004, which the dashboard turns on): the
/// terminal wraps pasted text in ESC [ 2 0 0 ~ … ESC [ 2 0 1 ~, so a paste
/// can be told from typing and read as text, never as keys.
///
/// Pure: it reads through a closure, so tests feed it arrays. curses
/// delivers the markers as single characters (no terminfo key names them)
/// or, where a terminfo entry defines them as keys, as key codes; both work.
struct BracketedPaste {
    /// One unit of input as curses delivers it.
    enum Input: Equatable {
        case scalar(UInt32)
        case keyCode(Int32)
    }

    static let escape: UInt32 = 27
    /// What follows ESC in the start and end markers: "[200~" and "[201~".
    static let startRest = Array("[200~".unicodeScalars.map(\.value))
    static let endRest = Array("[201~".unicodeScalars.map(\.value))
    /// At most this many characters of one paste are kept; the rest is read
    /// and dropped. It is far above what any prompt accepts, so a paste that
    /// overflows is refused whole by the prompt, never used cut.
    static let limit = 4096
    /// Input units handled per call, so an endless paste cannot stall the
    /// run loop: the paste stays open and the next call goes on.
    static let chunk = 65536

    /// The key code of the end marker when terminfo defines one.
    let endKeyCode: Int32?
    private(set) var isOpen = false
    private(set) var text = String.UnicodeScalarView()
    private(set) var count = 0
    /// Monotonic time of the last input read into the open paste.
    private(set) var lastInput = 0.0

    init(endKeyCode: Int32? = nil) { self.endKeyCode = endKeyCode }

    /// After an ESC: reads as much of `rest` as matches. Returns whether all
    /// of it did, and what was read (to be handed back when it did not).
    static func matchRest(_ rest: [UInt32], read: () -> Input?) -> (matched: Bool, readAhead: [Input]) {
        var got: [Input] = []
        for expected in rest {
            guard let input = read() else { return (false, got) }
            got.append(input)
            if input != .scalar(expected) { return (false, got) }
        }
        return (true, [])
    }

    mutating func open(at now: Double) {
        isOpen = true
        text = String.UnicodeScalarView()
        count = 0
        lastInput = now
    }

    /// Ends the paste (its end marker, or the terminal went quiet without
    /// one) and returns its text.
    mutating func close() -> String {
        isOpen = false
        let s = String(text)
        text = String.UnicodeScalarView()
        count = 0
        return s
    }

    /// Reads into the open paste until the end marker (returns the whole
    /// text) or until input runs dry (returns nil; the paste stays open, and
    /// what arrives later is still paste). `unread` gets input read past the
    /// end marker's position, which is only ever empty, but is handed back
    /// rather than lost.
    mutating func feed(now: Double, read: () -> Input?, unread: ([Input]) -> Void) -> String? {
        var queue: [Input] = []
        func pull() -> Input? { queue.isEmpty ? read() : queue.removeFirst() }
        for _ in 0..<BracketedPaste.chunk {
            guard let input = pull() else { return nil }
            lastInput = now
            switch input {
            case .keyCode(let code) where code == endKeyCode:
                unread(queue)
                return close()
            case .keyCode:
                continue  // curses matched a key sequence inside the text: neither text nor a key
            case .scalar(BracketedPaste.escape):
                let (matched, ahead) = BracketedPaste.matchRest(BracketedPaste.endRest, read: pull)
                if matched { unread(queue); return close() }
                append(BracketedPaste.escape)
                queue = ahead + queue  // what followed the ESC is text (or the real end marker)
            case .scalar(let value):
                append(value)
            }
        }
        unread(queue)
        return nil
    }

    private mutating func append(_ value: UInt32) {
        count += 1
        guard count <= BracketedPaste.limit, let scalar = Unicode.Scalar(value) else { return }
        text.append(scalar)
    }
}
