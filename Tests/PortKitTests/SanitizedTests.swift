import Testing
@testable import PortKit

@Suite("The one sanitizer for outside text")
struct SanitizedTests {
    @Test("control characters, C1 and bidi overrides become visible escapes; printable text is untouched",
          arguments: [
            ("web", "web"),
            ("\u{1B}]0;pwned\u{07}", "\\e]0;pwned\\x07"),
            ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
            ("\u{7F}\u{0}", "\\x7F\\x00"),
            ("\u{9B}2J", "\\u{009B}2J"),
            ("abc\u{202E}gpj.exe", "abc\\u{202E}gpj.exe"),
            ("a\u{2028}b\u{200F}c\u{FEFF}", "a\\u{2028}b\\u{200F}c\\u{FEFF}"),
            ("naïve 日本 🚀", "naïve 日本 🚀"),
          ])
    func escapes(_ input: String, _ expected: String) {
        #expect(sanitized(input) == expected)
        // Idempotent: sanitizing twice changes nothing more.
        #expect(sanitized(sanitized(input)) == expected)
        #expect(!sanitized(input).unicodeScalars.contains { TerminalText.needsEscape($0) })
    }

    @Test("JSON escapes what a terminal might obey, and nothing is lost")
    func json() {
        let s = JSONNode.string("a\u{1B}[2J\u{9B}\u{202E}\"").serialized()
        #expect(s == "\"a\\u001b[2J\\u009b\\u202e\\\"\"")
    }

    @Test("every cell of the status table is sanitized, users and services included")
    func table() throws {
        let text = "x\u{1B}[31m"
        let owner = ProcessDetails(pid: 7, ppid: 1, name: text, uid: 0, user: text, cmdline: [text, text], startTime: 1)
        let socket = TCPSocket(local: Endpoint(family: .ipv4, address: [127, 0, 0, 1], port: 6000),
                               remote: Endpoint(family: .ipv4, address: [0, 0, 0, 0], port: 0), state: .listen, uid: 0, inode: 9)
        let report = PortReport(port: 6000, state: .conflict, lease: Lease(service: "web", port: 6000, kind: .reservation, granted: 1),
                                leaseStatus: .reserved, sockets: [SocketReport(socket: socket, owners: [owner], refs: [])],
                                probe: ProbeResult(ipv4: .inUse, ipv6: .inUse), note: nil)
        let cells = PortRow(report).cells
        #expect(!cells.joined().unicodeScalars.contains("\u{1B}"))
        #expect(cells.filter { $0.contains("x\\e[31m") }.count >= 3)  // user, process, command
    }

    @Test("the SERVICE cell says what a lease's program binds by itself")
    func bindsCell() {
        var lease = Lease(service: "web", port: 6000, kind: .lease, granted: 1,
                          project: LeaseProject(root: "/src/shop", name: "shop@feature-x"))
        lease.binds = 3000
        let report = PortReport(port: 6000, state: .ours, lease: lease, leaseStatus: .active, sockets: [],
                                probe: ProbeResult(ipv4: .free, ipv6: .free), note: nil)
        #expect(PortRow(report).cells[2] == "web · shop@feature-x binds 3000")
    }
}
