import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// `<checkout>.localhost` in the real router: docs/names.md's rule.
@Suite("the bare checkout name")
struct CheckoutAliasTests {
    @Test("<checkout>.localhost routes to the first service of the file (not the first by name), or to [proxy] default")
    func firstInFile() throws {
        let serve = try ServeFixture()
        let project = serve.dir + "/shop"
        mkdir(project, 0o755)
        // web before api: granted in one update (one second), so only the file says which is first.
        TestSupport.writeFile(project + "/portdash.toml", """
            [services.web]
            command = "true"
            [services.api]
            command = "true"

            """)
        let env = TestSupport.runCommand([TestSupport.portdashBinary, "env", "--range", "\(serve.range.first)-\(serve.range.last)",
                                          "--state", serve.state], environment: ["XDG_CONFIG_HOME": serve.dir + "/config"], directory: project)
        #expect(env.status == 0, "\(env.stderr)")
        // Nothing listens: the router's 502 names the service the name went to.
        func target() -> String { serve.get("/", host: "shop.localhost:\(serve.port)")?.body ?? "" }
        #expect(waitUntil(seconds: 60) { target().contains("web of shop") }, "\(target())")
        #expect(!target().contains("api of shop"))
        // [proxy] default wins over the order of the file.
        TestSupport.writeFile(project + "/portdash.toml", """
            [services.web]
            command = "true"
            [services.api]
            command = "true"
            [proxy]
            default = "api"

            """)
        #expect(waitUntil(seconds: 60) { target().contains("api of shop") }, "\(target())")
    }
}
