import Testing
import PortKit
import PortKitTestSupport
import Glibc

/// ShellQuote, the one shell quoter: what it writes is read back byte for
/// byte by every POSIX shell here, and never holds a raw control character.
@Suite("ShellQuote: eval in dash, bash, zsh, ksh, mksh, busybox sh gives the bytes back")
struct ShellQuoteTests {
    /// Values a hostile portdash.toml, checkout path or lease could carry.
    static let hostile: [[UInt8]] = [
        Array("plain-5001".utf8), Array("http://127.0.0.1:5001/".utf8), [],
        Array("\u{1B}[2J\u{1B}]0;pwned\u{07}".utf8), Array("one\ntwo".utf8), Array("ends in a newline\n".utf8), Array("\n\n".utf8),
        Array("\n".utf8), Array("it's \"quoted\" \\ back".utf8), Array("$HOME ${PATH} $(id) `id` $((1+1)) !! ~ * ? [a] #".utf8),
        [0x66, 0xFF, 0xFE, 0x6F, 0xC3], [0x7F], Array("x\u{2028}y\u{2029}z\u{202E}rtl\u{200B}".utf8), Array("a\n'b".utf8),
        Array("a\n\u{E9}t\u{E9}".utf8), Array("\t\r\n%d\\".utf8), Array("100% é ü 日本".utf8), Array("\u{85}C1\u{9B}31m".utf8),
        Array("a\u{1B}".utf8), Array("-n".utf8), Array("=".utf8), Array("'".utf8), Array("\\\n".utf8),
    ]

    static let shells: [[String]] = [["dash"], ["bash"], ["zsh"], ["ksh"], ["mksh"], ["busybox", "sh"]]

    static func present(_ shell: [String]) -> Bool {
        TestSupport.runCommand(["/bin/sh", "-c", "command -v \"$1\"", "sh", shell[0]]).status == 0
    }

    @Test("no raw control character in what it writes; plain values stay bare")
    func noRawControl() {
        for (i, value) in Self.hostile.enumerated() {
            let line = ShellQuote.assignment("V\(i)", value, export: true)
            #expect(!line.unicodeScalars.contains(where: TerminalText.needsEscape), "\(line.debugDescription)")
        }
        #expect(ShellQuote.assignment("PORT", "5001", export: false) == "PORT=5001")
        #expect(ShellQuote.assignment("A", "a\u{1B}b", export: true) == #"export A='a'"$(printf '\033')"'b'"#)
        #expect(ShellQuote.assignment("N", "x\n", export: false) == #"N='x'"$(printf '\012\056')"; N="${N%.}""#)
        #expect(ShellQuote.directory("/src/my shop") == "'/src/my shop'")
    }

    @Test("eval of every hostile value gives its bytes back", arguments: shells)
    func roundTrip(_ shell: [String]) throws {
        try #require(Self.present(shell) || !["dash", "bash"].contains(shell[0]), "\(shell[0]) is missing (.ci/run installs it)")
        guard Self.present(shell) else {
            print("skipped \(shell.joined(separator: " ")): not installed")
            return
        }
        let dir = TestSupport.temporaryDirectory("portdash-quote")
        defer { TestSupport.removeTree(dir) }
        let script = Self.hostile.indices.map { ShellQuote.assignment("V\($0)", Self.hostile[$0], export: $0 % 2 == 0) + "\n" }.joined()
        TestSupport.writeFile(dir + "/vars.sh", script)
        // eval as `eval "$(portdash env --export)"` does, then each value to a file of its own.
        let dump = Self.hostile.indices.map { "printf '%s' \"$V\($0)\" > \"$1/v\($0)\"" }.joined(separator: "; ")
        let r = TestSupport.runCommand(shell + ["-c", "eval \"$(cat \"$1/vars.sh\")\" && " + dump, "sh", dir])
        #expect(r.status == 0, "\(shell): \(r.stderr)")
        for (i, value) in Self.hostile.enumerated() {
            #expect(TestSupport.readFile(dir + "/v\(i)") == value, "\(shell) V\(i): \(ShellQuote.assignment("V\(i)", value, export: false))")
        }
        // Exported ones reach a child.
        let child = TestSupport.runCommand(shell + ["-c", "eval \"$(cat \"$1/vars.sh\")\" && env", "sh", dir])
        #expect(child.stdout.contains("V0=plain-5001\n"))
    }

    @Test("a directory with control characters and a trailing newline: cd to the quoted path lands in it", arguments: shells)
    func directory(_ shell: [String]) throws {
        guard Self.present(shell) else {
            print("skipped \(shell.joined(separator: " ")): not installed")
            return
        }
        let base = TestSupport.temporaryDirectory("portdash-quote-dir")
        defer { TestSupport.removeTree(base) }
        let path = base + "/it's a\u{1B}[31m dir\n"
        #expect(mkdir(path, 0o700) == 0)
        let r = TestSupport.runCommand(shell + ["-c", "cd \(ShellQuote.directory(path)) && printf '%s' \"$PWD\""])
        #expect(r.status == 0 && (r.stdout == path || r.stdout == path + "/"), "\(shell): \(r.stdout.debugDescription) \(r.stderr)")
    }
}
