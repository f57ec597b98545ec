import Testing
import PortKitTestSupport
import PortKit
import PortTrust
import Glibc

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

    @Test("--no-tls with --tls-listen, and a --tls-listen that is not loopback: one line naming that option, exit 64")
    func usage() throws {
        let dir = TestSupport.temporaryDirectory("portdash-serve-tls")
        defer { TestSupport.removeTree(dir) }
        let range = TestSupport.freeRange(count: 2), port = TestSupport.freeRange(count: 1).first
        let base = [TestSupport.serveBinary, "--listen", "127.0.0.1:\(port)", "--range", "\(range.first)-\(range.last)", "--state", dir + "/leases.json"]
        let env = ["XDG_DATA_HOME": dir + "/data", "HOME": dir]
        let both = TestSupport.runCommand(base + ["--tls-listen", "127.0.0.1:\(port + 1)", "--no-tls"], environment: env)
        #expect(both.status == 64 && both.stderr.contains("--no-tls and --tls-listen"), "\(both.stderr)")
        let remote = TestSupport.runCommand(base + ["--tls-listen", "0.0.0.0:\(port + 1)"], environment: env)
        #expect(remote.status == 64 && remote.stderr.hasPrefix("portdash serve: --tls-listen 0.0.0.0:"), "\(remote.stderr)")
        let bad = TestSupport.runCommand(base + ["--tls-listen", "nonsense"], environment: env)
        #expect(bad.status == 64 && bad.stderr.contains("--tls-listen nonsense:") && bad.stderr.contains("e.g. --tls-listen 127.0.0.1:5443"), "\(bad.stderr)")
    }

    @Test("a second serve on the same state file leaves the first one's record: stopping it takes nothing from the URLs")
    func secondServe() throws {
        let dir = TestSupport.temporaryDirectory("portdash-serve-two")
        defer { TestSupport.removeTree(dir) }
        let range = TestSupport.freeRange(count: 2)
        let state = dir + "/leases.json"
        func serve(_ port: UInt16) -> ChildProcess {
            ChildProcess([TestSupport.serveBinary, "--listen", "127.0.0.1:\(port)", "--no-tls", "--range", "\(range.first)-\(range.last)", "--state", state,
                          "--interval", "0.2"], environment: ["XDG_DATA_HOME": dir + "/data", "HOME": dir], captureOutput: true)
        }
        let a = TestSupport.freeRange(count: 1).first
        let first = serve(a)
        defer { first.signal(SIGKILL); _ = first.waitForExit() }
        #expect(waitUntil { RouterRecord.read(statePath: state)?.http == a })
        let b = TestSupport.freeRange(count: 1).first
        let second = serve(b)
        #expect(waitUntil { HTTPTestClient.get(port: b, "/healthz")?.status == 200 })
        second.signal(SIGTERM)
        let out = second.waitForExit()
        #expect(out.status == 0 && out.stderr.contains("another portdash serve (pid \(first.pid)) routes for"), "\(out.stderr)")
        #expect(RouterRecord.read(statePath: state)?.serve.pid == first.pid && RouterRecord.read(statePath: state)?.http == a)
    }

    @Test("with the local CA made, --listen alone says in one line that HTTPS stays off and how to have it")
    func listenAlone() throws {
        let dir = TestSupport.temporaryDirectory("portdash-serve-listen")
        defer { TestSupport.removeTree(dir) }
        mkdir(dir + "/data", 0o700)
        mkdir(dir + "/data/portdash", 0o700)
        _ = try LocalCA.loadOrCreate(directory: dir + "/data/portdash/ca")
        let range = TestSupport.freeRange(count: 2), port = TestSupport.freeRange(count: 1).first
        let serve = ChildProcess([TestSupport.serveBinary, "--listen", "127.0.0.1:\(port)", "--range", "\(range.first)-\(range.last)",
                                  "--state", dir + "/leases.json"], environment: ["XDG_DATA_HOME": dir + "/data", "HOME": dir], captureOutput: true)
        #expect(waitUntil { HTTPTestClient.get(port: port, "/healthz")?.status == 200 })
        serve.signal(SIGTERM)
        let out = serve.waitForExit()
        #expect(out.stderr.contains("HTTPS is off with --listen alone; add --tls-listen 127.0.0.1:5443"), "\(out.stderr)")
        #expect(out.stderr.contains("listening on http://127.0.0.1:\(port) ("), "\(out.stderr)")
    }
}
