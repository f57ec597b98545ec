import Testing
import PortKitTestSupport

/// `--help` in the order a newcomer reads it, and a man page that renders
/// cleanly and names every verb --help lists.
@Suite("help and the man page")
struct HelpAndManTests {
    /// man/portdash.1 in the package (this file is Tests/PortDashEndToEndTests/…).
    static let manPage = String(#filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")) + "/man/portdash.1"

    @Test("--help: subcommands first, then examples, then exit codes, each once")
    func helpOrder() throws {
        let r = TestSupport.runCommand([TestSupport.portdashBinary, "--help"])
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n")
        let sub = try #require(lines.firstIndex { $0.hasPrefix("SUBCOMMANDS:") })
        let examples = try #require(lines.firstIndex { $0.hasPrefix("EXAMPLES:") })
        let codes = try #require(lines.firstIndex { $0.hasPrefix("EXIT CODES:") })
        #expect(sub < examples && examples < codes)
        // Once: every heading of the help appears one time.
        for heading in ["OVERVIEW:", "USAGE:", "SUBCOMMANDS:", "EXAMPLES:", "EXIT CODES:"] {
            #expect(lines.filter { $0.hasPrefix(heading) }.count == 1, "\(heading) \(lines.filter { $0.hasPrefix(heading) }.count) times")
        }
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

    /// The package's directory.
    static let package = String(manPage.dropLast("/man/portdash.1".count))

    @Test("every PORTDASH_ variable the sources name is in the man page's ENVIRONMENT")
    func manPageEnvironment() throws {
        let man = String(decoding: try #require(TestSupport.readFile(HelpAndManTests.manPage)), as: UTF8.self)
        let environment = man.split(separator: ".SH ").first { $0.hasPrefix("ENVIRONMENT") }.map(String.init) ?? ""
        let sources = TestSupport.runCommand(["grep", "-rhoE", "\"PORTDASH_[A-Z_]+", HelpAndManTests.package + "/Sources"]).stdout
        let names = Set(sources.split(separator: "\n").map { String($0.dropFirst()) })
        #expect(names.count >= 8 && names.contains("PORTDASH_ROUTER_PORT") && names.contains("PORTDASH_SUPERVISION"), "\(names)")
        for name in names.sorted() {
            #expect(environment.contains(".B \(name)\n"), "the man page's ENVIRONMENT lacks \(name)")
        }
    }

    @Test("every docs/FILE.md (or README) a --help names exists, and so does each section it names there")
    func helpPointsAtDocs() throws {
        let verbs = ["status", "lease", "release", "reserve", "leases", "run", "kill", "repair", "up", "restart", "stop", "env",
                     "wait", "config", "serve", "hosts", "dash"]
        var checked = 0
        for verb in [[]] + verbs.map({ [$0] }) {
            let help = TestSupport.runCommand([TestSupport.portdashBinary] + verb + ["--help"]).stdout
            // Wrapped lines join up again: "docs/serve.md, sections \"Safety rules\" and \"Limits\"".
            let text = help.split(separator: "\n").map { $0.drop { $0 == " " } }.joined(separator: " ")
            for match in text.matches(of: /(README|docs\/[a-z-]+\.md)(, sections? ((?:"[^"]+"(?:,| and| or)? ?)+))?/) {
                let file = HelpAndManTests.package + "/" + (match.1 == "README" ? "README.md" : String(match.1))
                let doc = try #require(TestSupport.readFile(file).map { String(decoding: $0, as: UTF8.self) }, "\(verb): \(file) does not exist")
                checked += 1
                let headings = doc.split(separator: "\n").filter { $0.hasPrefix("#") }.map { $0.drop { $0 == "#" || $0 == " " } }
                for section in (match.3.map(String.init) ?? "").matches(of: /"([^"]+)"/).map({ String($0.1) }) {
                    #expect(headings.contains { $0 == section }, "portdash \(verb.joined()) --help names section \"\(section)\" of \(match.1), which has \(headings)")
                }
            }
        }
        #expect(checked >= 3)
        // serve names its sections (not only the file).
        let serve = TestSupport.runCommand([TestSupport.portdashBinary, "serve", "--help"]).stdout
        #expect(serve.contains("docs/serve.md, sections"), "\(serve)")
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
