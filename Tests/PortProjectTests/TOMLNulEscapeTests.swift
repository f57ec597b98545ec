import Testing
@testable import PortProject

@Suite("TOML NUL escapes (refused: TOMLKit would cut the string there)")
struct TOMLNulEscapeTests {
    @Test("found in basic strings and quoted keys, on the line where the string begins")
    func found() {
        #expect(TOMLNulEscape.line(in: #"a = "x\u0000""# + "\n") == 1)
        #expect(TOMLNulEscape.line(in: "a = 1\n" + #""k\U00000000" = 2"#) == 2)
        #expect(TOMLNulEscape.line(in: "a = \"\"\"\none\ntwo \\u0000\n\"\"\"\n") == 1)
        #expect(TOMLNulEscape.line(in: "a = 'x\\u0000'\nb = '''\n\\u0000'''\n# \"\\u0000\"\nd = \"\\u0001 \\\"\\u0000\"") == 5)
    }

    @Test("not in literal strings, comments, an escaped backslash, or another code point")
    func notFound() {
        #expect(TOMLNulEscape.line(in: #"a = 'x\u0000'"#) == nil)
        #expect(TOMLNulEscape.line(in: "b = '''\n\\u0000'''\n") == nil)
        #expect(TOMLNulEscape.line(in: #"# "\u0000""#) == nil)
        #expect(TOMLNulEscape.line(in: #"c = "\\u0000""#) == nil)
        #expect(TOMLNulEscape.line(in: #"c = "\u0001 \U00000100""#) == nil)
    }
}
