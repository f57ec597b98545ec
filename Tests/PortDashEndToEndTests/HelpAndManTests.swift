import Testing
import PortKitTestSupport

/// `--help` in the order a newcomer reads it, and a man page that renders
/// cleanly and names every verb --help lists.
@Suite("help and the man page")
struct HelpAndManTests {
    /// man/portdash.1 in the package (this file is Tests/PortDashEndToEndTests/…).
    static let manPage = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")) + "/man/portdash.1"

    @Test("--help: subcommands first, then examples, then exit codes")
    func helpOrder() throws {
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "--help"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        let sub = try #require(lines.firstIndex { $0.hasPrefix("SUBCOMMANDS:") })
        let examples = try #require(lines.firstIndex { $0.hasPrefix("EXAMPLES:") })
        let codes = try #require(lines.firstIndex { $0.hasPrefix("EXIT CODES:") })
        #expect(sub < examples && examples < codes)
        // A verb's help is ArgumentParser's own, without the root's epilogue.
        let status = TestSupport.runCommand([TestSupport.portdashBinary, "status", "--help"])
        #expect(status.status == 0 && !status.stdout.contains("EXIT CODES:"))
    }

    @Test("the man page renders without warnings and names every verb of --help")
    func manPage() throws {
        let groff = TestSupport.runCommand(["/usr/bin/groff", "-man", "-ww", "-z", HelpAndManTests.manPage])
        #expect(groff.status == 0 && groff.stderr.isEmpty, "\(groff.stderr)")
        let text = String(decoding: try #require(TestSupport.readFile(HelpAndManTests.manPage)), as: UTF8.self)
        let help = TestSupport.runCommand([TestSupport.portdashBinary, "--help"]).stdout
        let verbs = help.split(separator: "\n", omittingEmptySubsequences: false).drop { !$0.hasPrefix("SUBCOMMANDS:") }.dropFirst()
            .prefix { !$0.isEmpty }.compactMap { line -> String? in
                guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
                return line.split(separator: " ").first.map(String.init)
            }
        #expect(verbs.count >= 10, "\(verbs)")
        for verb in verbs { #expect(text.contains(".B \(verb)") || text.contains(".BR \(verb)"), "the man page lacks \(verb)") }
    }

    @Test("completion of up, env and wait names the project's services; outside a project, nothing")
    func serviceCompletion() throws {
        let f = ProjectFixture(ports: 3)
        f.write("portdash.toml", "[services.api]\ncommand = \"true\"\n\n[services.web]\ncommand = \"true\"\nports = [\"debug\"]\n")
        func complete(_ verb: String, _ word: String, in dir: String) -> [Substring] {
            TestSupport.runCommand([TestSupport.portdashBinary, "---completion", verb, "--", "positional@0", "2", String(word.count), "portdash", verb, word],
                                   environment: f.environment, directory: dir).stdout.split(separator: "\n")
        }
        #expect(complete("up", "", in: f.dir) == ["api", "web"])
        #expect(complete("env", "w", in: f.dir) == ["web"])
        #expect(complete("wait", "web", in: f.dir) == ["web", "web.debug"])
        let outside = TestSupport.temporaryDirectory("portdash-nowhere")
        defer { TestSupport.removeTree(outside) }
        #expect(complete("up", "", in: outside).isEmpty)
    }
}
