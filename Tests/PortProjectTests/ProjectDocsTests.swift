import Testing
import PortKitTestSupport
@testable import PortProject

/// The docs say what the reader knows: every portdash.toml key in
/// docs/projects.md's example and in the man page, every dev server of
/// DevServerFlags in docs/projects.md's table.
@Suite("project docs match the code")
struct ProjectDocsTests {
    /// The package's directory (this file is Tests/PortProjectTests/…).
    static let package = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/"))

    func read(_ path: String) throws -> String {
        String(decoding: try #require(TestSupport.readFile(ProjectDocsTests.package + "/" + path)), as: UTF8.self)
    }

    /// Every key a portdash.toml may have, as [table] key.
    static let keys: [(table: String, key: String)] =
        TOMLProjectReader.poolKeys.map { ("pool", $0) } + TOMLProjectReader.proxyKeys.map { ("proxy", $0) }
        + TOMLProjectReader.serviceKeys.map { ("services.api", $0) }

    @Test("docs/projects.md's example portdash.toml names every key, [proxy] default among them")
    func projectsExample() throws {
        let doc = try read("docs/projects.md")
        let example = try #require(doc.split(separator: "```toml").dropFirst().first?.split(separator: "```").first.map(String.init))
        let lines = example.split(separator: "\n").map { $0.drop { $0 == " " || $0 == "#" } }
        for table in Set(ProjectDocsTests.keys.map(\.table)) where table != "services.api" {
            #expect(lines.contains { $0.hasPrefix("[\(table)]") }, "no [\(table)] in the example")
        }
        for (table, key) in ProjectDocsTests.keys {
            #expect(lines.contains { $0.hasPrefix(key + " = ") }, "the example lacks \(key) of [\(table)]")
        }
    }

    @Test("the man page's PORTDASH.TOML section names every key")
    func manPage() throws {
        let man = try read("man/portdash.1")
        let section = try #require(man.split(separator: ".SH ").first { $0.hasPrefix("PORTDASH.TOML") }.map(String.init))
        for (table, key) in ProjectDocsTests.keys {
            let named = table == "services.api" ? section.contains(".B \(key)\n") : section.contains(".B [\(table)] \(key)\n")
            #expect(named, "man/portdash.1 lacks \(key) of [\(table)]")
        }
    }

    @Test("docs/projects.md's table of dev servers lists every program up adds a port flag to")
    func devServers() throws {
        let doc = try read("docs/projects.md")
        for tool in DevServerFlags.table {
            #expect(doc.contains("| `\(tool.program)`"), "docs/projects.md's dev-server table lacks \(tool.program)")
        }
    }
}
