import Testing
import PortKitTestSupport
@testable import PortDashUI

/// docs/dashboard.md's key table is written by hand for people; this keeps it
/// honest against the one key table the dashboard dispatches from.
@Suite("docs/dashboard.md's key table against KeyBindings.table")
struct KeyTableDocsTests {
    static let package = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))

    /// The rows of the "| key | action |" table: first cell, whole row.
    static func documentedRows() throws -> [(keys: String, row: String)] {
        let text = String(decoding: try #require(TestSupport.readFile(package + "/docs/dashboard.md")), as: UTF8.self)
        let lines = text.split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex(of: "| key | action |"))
        return lines[(start + 2)...].prefix { $0.hasPrefix("|") }.map { line in
            (String(line.split(separator: "|", omittingEmptySubsequences: true).first ?? ""), line)
        }
    }

    @Test("every key the dashboard answers is in the table's key column, as `label`")
    func everyKeyDocumented() throws {
        let keyColumn = try Self.documentedRows().map(\.keys).joined(separator: " ")
        // The mouse is documented in words ("click, wheel").
        let keys = KeyBindings.table.flatMap(\.keys).filter { k in
            switch k { case .wheelUp, .wheelDown, .click: false; default: true }
        }
        let missing = keys.map(\.label).filter { !keyColumn.contains("`\($0)`") }
        #expect(missing.isEmpty, "keys the dashboard answers but docs/dashboard.md does not list: \(missing)")
    }

    @Test("every key the table's key column names is one the dashboard answers (or a prompt's, or a paste)")
    func noStaleKey() throws {
        let known = Set(KeyBindings.table.flatMap(\.keys).map(\.label))
        // Keys of prompts and boxes, which have tables of their own.
        let promptKeys: Set<String> = ["Esc", "Enter", "y", "n", "←", "→", "1", "5", "Ctrl-U"]
        for (keys, row) in try Self.documentedRows() {
            let named = keys.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            for k in named where !known.contains(k) && !promptKeys.contains(k) {
                Issue.record("docs/dashboard.md names `\(k)`, which the dashboard does not answer: \(row)")
            }
        }
    }
}
