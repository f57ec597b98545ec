import Testing
@testable import PortKit

@Suite("/proc/net/tcp and tcp6 parser")
struct NetTCPTableTests {
    @Test("IPv4 fixture: every row, addresses decoded, states, uid and inode")
    func ipv4Fixture() throws {
        let raw = try ProcRoot(path: fixtureProc).read("net/tcp").get()
        let rows = try NetTCPTable.parse(raw, family: .ipv4, file: "tcp")
        #expect(rows.count == 7)
        #expect(rows[0].local.addressText == "127.0.0.1")
        #expect(rows[0].local.port == 5000)
        #expect(rows[0].state == .listen)
        #expect(rows[0].uid == 1000)
        #expect(rows[0].inode == 1001)
        #expect(rows[1].local.addressText == "0.0.0.0" && rows[1].local.isWildcard)
        #expect(rows[3].state == .established)
        #expect(rows[3].remote.port == 40000)
        #expect(rows[4].state == .timeWait && rows[4].inode == 0)
    }

    @Test("the port filter keeps only rows bound to the range")
    func portFilter() throws {
        let raw = try ProcRoot(path: fixtureProc).read("net/tcp").get()
        let rows = try NetTCPTable.parse(raw, family: .ipv4, file: "tcp", ports: 5000...5002)
        #expect(rows.map(\.local.port) == [5000, 5001, 5001, 5002])
    }

    @Test("IPv6: loopback, v4-mapped and wildcard")
    func ipv6Fixture() throws {
        let raw = try ProcRoot(path: fixtureProc).read("net/tcp6").get()
        let rows = try NetTCPTable.parse(raw, family: .ipv6, file: "tcp6")
        #expect(rows.map(\.local.addressText) == ["::1", "::ffff:127.0.0.1", "::"])
        #expect(rows.map(\.local.port) == [5003, 5005, 5006])
        #expect(rows.allSatisfy { $0.local.family == .ipv6 && $0.state == .listen })
    }

    @Test("every TCP state number maps to its name", arguments: TCPState.allCases)
    func states(state: TCPState) throws {
        let line = "  0: 0100007F:1388 00000000:0000 \(String(format2: state.rawValue)) 00000000:00000000 00:00000000 00000000  1000        0 77 1\n"
        let rows = try NetTCPTable.parse(bytes("header\n" + line), family: .ipv4, file: "tcp")
        #expect(rows.first?.state == state)
    }

    @Test("an empty table and a header-only table give no rows")
    func empty() throws {
        #expect(try NetTCPTable.parse([], family: .ipv4, file: "tcp").isEmpty)
        #expect(try NetTCPTable.parse(bytes("  sl  local_address rem_address   st\n"), family: .ipv4, file: "tcp").isEmpty)
    }

    struct Broken: Sendable, CustomStringConvertible {
        let name: String
        let line: String
        let field: String
        var description: String { name }
    }

    static let broken: [Broken] = [
        Broken(name: "truncated after local address", line: "  0: 0100007F:1388", field: "rem_address"),
        Broken(name: "truncated before inode", line: "  0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000", field: "inode"),
        Broken(name: "address not hex", line: "  0: 0100Z07F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1", field: "local_address"),
        Broken(name: "address too short", line: "  0: 100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1", field: "local_address"),
        Broken(name: "remote port missing", line: "  0: 0100007F:1388 00000000 0A 00000000:00000000 00:00000000 00000000  1000 0 1", field: "rem_address"),
        Broken(name: "unknown state", line: "  0: 0100007F:1388 00000000:0000 FF 00000000:00000000 00:00000000 00000000  1000 0 1", field: "st"),
        Broken(name: "uid not a number", line: "  0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  abc 0 1", field: "uid"),
        Broken(name: "inode overflows", line: "  0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 99999999999999999999999", field: "inode"),
        Broken(name: "IPv4 width in tcp6", line: "  0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 1", field: "local_address"),
    ]

    @Test("malformed lines name the file, the line and the field", arguments: broken)
    func malformed(_ case_: Broken) {
        let family: AddressFamily = case_.name.contains("tcp6") ? .ipv6 : .ipv4
        let good = family == .ipv4
            ? "  1: 0100007F:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 5 1\n"
            : "  1: 00000000000000000000000001000000:1389 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 5 1\n"
        let text = "header\n" + good + case_.line + "\n"
        let file = family == .ipv4 ? "/proc/net/tcp" : "/proc/net/tcp6"
        #expect {
            try NetTCPTable.parse(bytes(text), family: family, file: file)
        } throws: { error in
            guard case .malformedProcLine(let f, let line, let field, _) = error as? PortKitError else { return false }
            return f == file && line == 3 && field == case_.field
        }
    }

    @Test("a row the kernel printed twice (the table changed mid-read) is reported once")
    func repeatedRows() throws {
        let root = ProcRoot(path: fixtureProc + "-repeated")
        let rows = try ProcNetTCPSource(root: root).sockets(in: PortRange(uncheckedFirst: 5000, last: 5010))
        // tcp: listener 2001 twice, TIME_WAIT to :40000 twice, TIME_WAIT to :40001 once;
        // tcp6: listener 2002 twice, listener 2003 once.
        #expect(rows.filter { $0.inode != 0 }.map(\.inode) == [2001, 2002, 2003])
        let timeWaits = rows.filter { $0.state == .timeWait }
        #expect(timeWaits.map(\.remote.port) == [40000, 40001])
        #expect(rows.count == 5)
    }

    @Test("unique keeps the first of each inode, and inode-0 rows by address pair and state")
    func uniqueRule() throws {
        let text = "header\n"
            + "  0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 7 1\n"
            + "  1: 0100007F:1388 0100007F:9C40 06 00000000:00000000 00:00000000 00000000     0 0 0 1\n"
            + "  2: 0100007F:1388 0100007F:9C40 08 00000000:00000000 00:00000000 00000000     0 0 0 1\n"
            + "  3: 0100007F:1388 0100007F:9C40 06 00000000:00000000 00:00000000 00000000     0 0 0 1\n"
            + "  4: 0100007F:1389 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000 0 7 1\n"
        let parsed = try NetTCPTable.parse(bytes(text), family: .ipv4, file: "tcp")
        #expect(parsed.count == 5)
        let unique = NetTCPTable.unique(parsed)
        // Same inode 7 on another port is still one socket (the first row wins);
        // TIME_WAIT and CLOSE_WAIT to the same peer are two sockets.
        #expect(unique.map(\.state) == [.listen, .timeWait, .closeWait])
        #expect(unique.first?.local.port == 5000)
    }

    @Test("the error message echoes file, line, field and the text")
    func message() {
        let e = PortKitError.malformedProcLine(file: "/proc/net/tcp", line: 7, field: "st", text: "  0: bad")
        #expect(e.description == "/proc/net/tcp line 7: malformed st in \"  0: bad\"")
    }
}

extension String {
    /// Two upper-case hex digits, as the kernel prints `st`.
    init(format2 value: UInt8) {
        let h = String(value, radix: 16, uppercase: true)
        self = h.count == 1 ? "0" + h : h
    }
}
