import Testing
import PortKitTestSupport
import PortKit
#if canImport(Glibc)
import Glibc
#endif

/// The control socket under a `$XDG_RUNTIME_DIR` too long for sun_path
/// (107 bytes): never cut into a name another checkout shares, and a
/// socket file left by a killed `up` never blocks the next one.
@Suite("control sockets with a long XDG_RUNTIME_DIR (the binary)", .blocking)
struct ControlSocketTests {
    /// A runtime directory of ~150 bytes: cut at 107, every checkout's socket path would be one and the same.
    static func longRuntimeDirectory() -> (base: String, path: String) {
        let base = TestSupport.temporaryDirectory("portdash-ctl")
        let path = base + "/run-" + String(repeating: "r", count: 120)
        mkdir(path, 0o700)
        return (base, path)
    }

    func project(_ runtime: String, marker: String) -> ProjectFixture {
        let f = ProjectFixture(ports: 2)
        f.extraEnvironment["XDG_RUNTIME_DIR"] = runtime
        f.write("server.py", ProjectFixture.server)
        f.write("portdash.toml", "[services.web]\ncommand = \"exec python3 server.py \(marker)\"\n")
        return f
    }

    @Test("two checkouts: portdash stop web in one stops that checkout's web, never the other's")
    func twoCheckouts() throws {
        let (base, runtime) = Self.longRuntimeDirectory()
        defer { TestSupport.removeTree(base) }
        let marker = "ctl-two-\(getpid())"
        defer { for pid in processes(marked: marker) { kill(pid, SIGKILL) } }
        let a = project(runtime, marker: marker), b = project(runtime, marker: marker)
        let upA = a.up()
        #expect(upA.waitFor("web is ready"))
        let upB = b.up()
        #expect(upB.waitFor("web is ready"))
        #expect(!upA.log.contains("warning") && !upB.log.contains("warning"), "\(upA.log)\n\(upB.log)")
        let stopB = b.portdash(["stop", "web"])
        #expect(stopB.status == 0 && stopB.stderr.contains("stopping web"), "\(stopB.stderr)")
        #expect(upB.waitFor("stopping web (asked by portdash stop)"))
        #expect(!upA.log.contains("stopping web") && !upA.child.hasExited, "checkout A's up was reached from B:\n\(upA.log)")
        let stopA = a.portdash(["stop", "web"])
        #expect(stopA.status == 0, "\(stopA.stderr)")
        #expect(upA.waitFor("stopping web (asked by portdash stop)"))
        for up in [upA, upB] {
            up.interrupt()
            _ = up.wait()
        }
        #expect(waitUntil(seconds: 30) { processes(marked: marker).isEmpty })
    }

    @Test("a socket file left by an up killed with SIGKILL does not block the next up, which answers stop")
    func staleSocket() throws {
        let (base, runtime) = Self.longRuntimeDirectory()
        defer { TestSupport.removeTree(base) }
        let marker = "ctl-stale-\(getpid())"
        defer { for pid in processes(marked: marker) { kill(pid, SIGKILL) } }
        let f = project(runtime, marker: marker)
        let up = f.up()
        #expect(up.waitFor("web is ready"))
        let sockets = { TestSupport.runCommand(["/bin/sh", "-c", "ls \"$1\"/portdash/*.sock", "sh", runtime]).stdout }
        #expect(!sockets().isEmpty, "no socket file in \(runtime)/portdash")
        up.child.signal(SIGKILL)
        _ = up.wait()
        #expect(!sockets().isEmpty, "the killed up's socket file is gone: nothing stale to test")
        let again = f.up(log: "again.log")
        #expect(again.waitFor("web is ready"))
        #expect(!again.log.contains("warning"), "\(again.log)")
        let stop = f.portdash(["stop", "web"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(again.waitFor("stopping web (asked by portdash stop)"))
        again.interrupt()
        _ = again.wait()
        #expect(waitUntil(seconds: 30) { processes(marked: marker).isEmpty })
        // A clean exit takes its socket file with it.
        #expect(sockets().isEmpty, "\(sockets())")
    }
}
