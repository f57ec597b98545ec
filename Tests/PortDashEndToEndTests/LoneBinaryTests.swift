import Testing
import PortKitTestSupport
import PortKit

/// One executable does every verb: a `portdash` copied alone into another
/// directory still reads a project's portdash.toml (TOMLKit is linked in;
/// there is no twin to hand a project invocation to).
@Suite("portdash alone", .blocking)
struct LoneBinaryTests {
    @Test("a lone copy of portdash reads the project's [pool] in portdash.toml")
    func readsTOMLAlone() throws {
        let f = ProjectFixture(ports: 2)
        f.write("portdash.toml", "[pool]\nrange = \"\(f.range.first)-\(f.range.last)\"\n\n[services.api]\ncommand = \"true\"\n")
        let lone = TestSupport.temporaryDirectory("portdash-lone")
        defer { TestSupport.removeTree(lone) }
        #expect(TestSupport.runCommand(["/bin/cp", TestSupport.portdashBinary, lone + "/portdash"]).status == 0)
        let alone = TestSupport.runCommand([lone + "/portdash", "status", "--json"], environment: f.environment, directory: f.dir)
        #expect(alone.status == 0, "\(alone.stderr)")
        #expect(alone.stdout.contains("\"range\":{\"first\":\(f.range.first),\"last\":\(f.range.last)}"), "\(alone.stdout)")
    }
}
