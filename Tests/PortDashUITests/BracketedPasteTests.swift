import Testing
@testable import PortDashUI

/// The paste decoder on input as curses delivers it, without a terminal.
@Suite("Bracketed paste decoding")
struct BracketedPasteTests {
    typealias Input = BracketedPaste.Input

    /// Input from a string; `nil` in `gaps` positions means "nothing yet".
    final class Source {
        var items: [Input?]
        init(_ items: [Input?]) { self.items = items }
        convenience init(_ text: String) { self.init(text.unicodeScalars.map { Input.scalar($0.value) }) }
        func read() -> Input? { items.isEmpty ? nil : items.removeFirst() }
    }

    static func scalars(_ s: String) -> [Input?] { s.unicodeScalars.map { .scalar($0.value) } }

    @Test("the rest of a start marker after ESC matches; anything else is handed back in order")
    func startMarker() {
        let yes = Source("[200~web")
        #expect(BracketedPaste.matchRest(BracketedPaste.startRest, read: yes.read).matched)
        let no = Source("[20x")
        let (matched, ahead) = BracketedPaste.matchRest(BracketedPaste.startRest, read: no.read)
        #expect(!matched)
        #expect(ahead == BracketedPasteTests.scalars("[20x").compactMap { $0 })
        let lone = Source("")
        #expect(BracketedPaste.matchRest(BracketedPaste.startRest, read: lone.read) == (false, []))
    }

    @Test("a paste's text, newlines and all, up to the end marker; what follows is left unread")
    func wholePaste() {
        var p = BracketedPaste()
        p.open(at: 0)
        let src = Source("web\rxy\r\u{1B}[201~y")
        var unread: [Input] = []
        #expect(p.feed(now: 1, read: src.read, unread: { unread += $0 }) == "web\rxy\r")
        #expect(!p.isOpen)
        #expect(unread.isEmpty)
        #expect(src.items == [.scalar(UInt32(("y" as Unicode.Scalar).value))])
    }

    @Test("an ESC inside the text stays text, also right before the end marker")
    func escapesInside() {
        var p = BracketedPaste()
        p.open(at: 0)
        let src = Source("a\u{1B}[A\u{1B}\u{1B}[201~")
        #expect(p.feed(now: 1, read: src.read, unread: { _ in }) == "a\u{1B}[A\u{1B}")
    }

    @Test("a paste split over several reads stays open in between, and its tail is still text")
    func split() {
        var p = BracketedPaste()
        p.open(at: 0)
        let src = Source(BracketedPasteTests.scalars("web\rx") + [nil] + BracketedPasteTests.scalars("y\u{1B}[201~"))
        #expect(p.feed(now: 1, read: src.read, unread: { _ in }) == nil)
        #expect(p.isOpen && p.lastInput == 1)
        #expect(p.feed(now: 2, read: src.read, unread: { _ in }) == "web\rxy")
    }

    @Test("key codes inside a paste are neither text nor keys; a terminfo end key closes it")
    func keyCodes() {
        var p = BracketedPaste(endKeyCode: 999)
        p.open(at: 0)
        let src = Source([.scalar(97), .keyCode(259), .scalar(98), .keyCode(999), .scalar(99)])
        #expect(p.feed(now: 1, read: src.read, unread: { _ in }) == "ab")
        #expect(src.items == [.scalar(99)])
    }

    @Test("a paste longer than the limit is read to its end but keeps only the limit, which no prompt accepts")
    func bounded() {
        var p = BracketedPaste()
        p.open(at: 0)
        let src = Source(String(repeating: "a", count: BracketedPaste.limit + 500) + "\u{1B}[201~q")
        let text = p.feed(now: 1, read: src.read, unread: { _ in })
        #expect(text?.unicodeScalars.count == BracketedPaste.limit)
        #expect(src.items.count == 1)  // the q after the end marker
        #expect(BracketedPaste.limit > KeyBindings.nameLimit)
    }
}
