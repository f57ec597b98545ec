import Testing
import PortKitTestSupport
import PortKit

/// `portdash-serve --tls-listen` and the HTTPS default, through the binary.
@Suite("portdash serve --tls-listen: the local CA or one line naming portdash trust")
struct ServeTLSCommandTests {
    @Test("--tls-listen before portdash trust made a CA: one line naming the fix, exit 78, nothing served")
    func noCA() throws {
        let dir = TestSupport.temporaryDirectory("portdash-serve-tls")
        defer { TestSupport.removeTree(dir) }
        let port = TestSupport.freeRange(count: 1).first, tls = TestSupport.freeRange(count: 1).first
        let range = TestSupport.freeRange(count: 2)
        let r = TestSupport.runCommand([TestSupport.serveBinary, "--listen", "127.0.0.1:\(port)", "--tls-listen", "127.0.0.1:\(tls)",
                                        "--range", "\(range.first)-\(range.last)", "--state", dir + "/leases.json"],
                                       environment: ["XDG_DATA_HOME": dir + "/data", "HOME": dir])
        #expect(r.status == 78, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("portdash trust"), "\(r.stderr)")
    }
}
