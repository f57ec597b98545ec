import Testing
import PortKitTestSupport
import PortKit

/// The lean `portdash` has no TOML reader: a project invocation goes to
/// `portdash-toml` beside it; alone, it says so in one line.
@Suite("portdash and portdash-toml")
struct TOMLTwinTests {
    @Test("in a project, the lean binary hands the command to portdash-toml; without it, one line and exit 69")
    func handOver() throws {
        let f = ProjectFixture(ports: 2)
        f.write("portdash.toml", "[pool]\nrange = \"\(f.range.first)-\(f.range.last)\"\n\n[services.api]\ncommand = \"true\"\n")
        // Beside its twin (the build directory): the project's pool is read.
        let withTwin = TestSupport.runCommand([TestSupport.portdashBinary, "status", "--json"], environment: f.environment, directory: f.dir)
        #expect(withTwin.status == 0, "\(withTwin.stderr)")
        #expect(withTwin.stdout.contains("\"range\":{\"first\":\(f.range.first),\"last\":\(f.range.last)}"))
        // Alone in a directory: no TOML reader, said in one line.
        let lone = TestSupport.temporaryDirectory("portdash-lone")
        defer { TestSupport.removeTree(lone) }
        #expect(TestSupport.runCommand(["/bin/cp", TestSupport.portdashBinary, lone + "/portdash"]).status == 0)
        let alone = TestSupport.runCommand([lone + "/portdash", "status", "--json"], environment: f.environment, directory: f.dir)
        #expect(alone.status == 69)
        #expect(alone.stderr.split(separator: "\n").count == 1 && alone.stderr.contains("portdash-toml"), "\(alone.stderr)")
        // Outside any project the lean binary needs nothing else.
        let outside = TestSupport.runCommand([lone + "/portdash", "status", "--json", "--range", "\(f.range.first)-\(f.range.last)"],
                                             environment: f.environment, directory: lone)
        #expect(outside.status == 0, "\(outside.stderr)")
    }
}
