import Testing
import PortKit
@testable import PortDashUI
import Glibc

/// The rendered screen compared with golden text files. To accept a change
/// on purpose: UPDATE_GOLDEN=1 swift test --filter GoldenTests, then review the diff.
@Suite("Dashboard screens (golden files)")
struct GoldenTests {
    static let dir: String = {
        let file = String(#filePath)
        return file[..<file.lastIndex(of: "/")!] + "/Golden"
    }()

    func check(_ name: String, _ state: DashboardState, width: Int, height: Int) {
        let s = state
        let grid = UIFixtures.renderer.render(s, width: width, height: height).grid
        let path = GoldenTests.dir + "/" + name + ".txt"
        #expect(grid.width == width && grid.height == height)
        // No row may be wider than the screen.
        for r in 0..<grid.height { #expect(grid.line(r).displayWidth <= width) }
        if let v = getenv("UPDATE_GOLDEN"), String(cString: v) == "1" {
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            var t = grid.text
            t.withUTF8 { _ = write(fd, $0.baseAddress, $0.count) }
            close(fd)
            return
        }
        guard let expected = readText(path) else {
            Issue.record("missing golden file \(path); run with UPDATE_GOLDEN=1")
            return
        }
        #expect(grid.text == expected, "screen differs from \(name).txt:\n\(grid.text)")
    }

    func readText(_ path: String) -> String? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; out += buf[0..<n] }
        return String(decoding: out, as: UTF8.self)
    }

    @Test("80x24, main view") func main80() throws { check("dashboard-80x24", try UIFixtures.state(), width: 80, height: 24) }

    @Test("140x40, details of a shared socket open") func details140() throws {
        var s = try UIFixtures.state()
        s.select(6)
        s.showDetails = true
        check("details-140x40", s, width: 140, height: 40)
    }

    @Test("80x24, details of a conflict, long lines wrapped") func conflict80() throws {
        var s = try UIFixtures.state()
        s.showDetails = true
        check("conflict-80x24", s, width: 80, height: 24)
    }

    @Test("80x24, kill confirmation") func kill80() throws {
        var s = try UIFixtures.state()
        s.select(1)
        _ = KeyBindings.handle(.char("x"), &s, layout: Layout())
        s.confirmArmed = true  // as it looks once y is taken
        check("kill-80x24", s, width: 80, height: 24)
    }

    @Test("80x24, reserve prompt") func prompt80() throws {
        var s = try UIFixtures.state()
        s.select(7)
        for k: Key in [.char("r"), .char("w"), .char("e"), .char("b")] { _ = KeyBindings.handle(k, &s, layout: Layout()) }
        check("reserve-80x24", s, width: 80, height: 24)
    }

    @Test("80x24, help") func help80() throws {
        var s = try UIFixtures.state()
        s.mode = .help
        check("help-80x24", s, width: 80, height: 24)
    }

    @Test("narrow and tiny terminals degrade without crashing", arguments: [(60, 20), (40, 8), (39, 8), (20, 5), (1, 1), (0, 0), (200, 3)])
    func small(_ size: (Int, Int)) throws {
        var s = try UIFixtures.state()
        s.showDetails = true
        let (grid, layout, _) = UIFixtures.renderer.render(s, width: size.0, height: size.1)
        #expect(grid.width == size.0 && grid.height == size.1)
        if size.0 >= Renderer.minWidth && size.1 >= Renderer.minHeight {
            #expect(layout.listHeight >= 1)
            #expect(grid.line(3).hasPrefix("5000"))
        } else if size.1 > 0 && size.0 > 10 {
            #expect(grid.line(0).hasPrefix("terminal too sm"))
        }
    }

    @Test("rows stay aligned at every width from 80 to 200")
    func alignment() throws {
        for width in stride(from: 80, through: 200, by: 7) {
            let s = try UIFixtures.state()
            let grid = UIFixtures.renderer.render(s, width: width, height: 30).grid
            let heading = grid.line(2)
            let stateCol = heading.firstIndex(of: "S").map { heading.distance(from: heading.startIndex, to: $0) }
            for r in 3..<14 {
                let row = Array(grid.rows[r])
                // The state word starts in the STATE column on every row.
                #expect(row[stateCol!] != " ", "width \(width) row \(r)")
                #expect(row[stateCol! - 1] == " ")
            }
        }
    }
}
