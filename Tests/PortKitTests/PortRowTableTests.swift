import Testing
@testable import PortKit

/// `status` and the dashboard's list at 80 columns: SERVICE (which checkout
/// holds a port) stays; COMMAND is cut first, and a cut ends in "…".
@Suite("the status table's columns at narrow widths")
struct PortRowTableTests {
    let rows = [
        ["5001", "ours", "api.debug · portdash@one-portdash", "424242", "developer", "python3", "127.0.0.1",
         "python3 -m http.server --bind 127.0.0.1 5001 --directory /home/developer/src/shop"],
        ["5002", "foreign", "", "4343", "root", "nginx", "0.0.0.0,::", "nginx: master process /usr/sbin/nginx -g daemon on;"],
    ]

    func lines(width: Int) -> [Substring] { PortRow.table.render(rows, width: width).split(separator: "\n") }

    @Test("at 80 columns SERVICE is shown whole and COMMAND is cut with …")
    func eighty() {
        let out = lines(width: 80)
        #expect(out[0].contains("SERVICE") && out[0].contains("COMMAND"), "\(out[0])")
        #expect(out[1].contains("api.debug · portdash@one-portdash"), "\(out[1])")
        #expect(out[1].hasSuffix("…"), "\(out[1])")
        #expect(out.allSatisfy { $0.displayWidthOfLine <= 80 })
    }

    @Test("at 72 columns, SERVICE outlasts PID, USER, PROCESS and ADDRESS")
    func seventyTwo() {
        let out = lines(width: 72)
        #expect(out[0] == "PORT  STATE    SERVICE                            COMMAND", "\(out[0])")
        #expect(out[1].contains("api.debug · portdash@one-portdash") && out[1].hasSuffix("…"), "\(out[1])")
        #expect(out.allSatisfy { $0.displayWidthOfLine <= 72 })
    }
}

extension Substring {
    var displayWidthOfLine: Int { String(self).displayWidth }
}
