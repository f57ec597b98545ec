import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// Any port, every listener (issue 10): `status PORT…`, `status --all` with
/// its filters and other network namespaces, docker-proxy, global options
/// before the verb, and a kill that checks its work.
@Suite("Any port, every listener (the binary)", .blocking)
struct AnyPortTests {
    let dir = TestSupport.temporaryDirectory()
    var state: String { dir + "/leases.json" }

    func portdash(_ args: [String], env: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        var e = env
        e["PORTDASH_STATE"] = state
        return TestSupport.runCommand([TestSupport.portdashBinary] + args, environment: e)
    }

    func snapshot(_ args: [String], env: [String: String] = [:]) throws -> SnapshotJSON {
        let r = portdash(args + ["--json"], env: env)
        #expect(r.status == 0, "\(args): \(r.stderr)")
        return try JSONDecoder().decode(SnapshotJSON.self, from: Data(r.stdout.utf8))
    }

    /// SIGKILL to whatever holds `port` now (a test's server's replacement).
    func killHolders(of port: UInt16) throws {
        for pid in pids(try snapshot(["status", String(port)]), port) { kill(pid, SIGKILL) }
    }

    func pids(_ s: SnapshotJSON, _ port: UInt16) -> Set<Int32> {
        Set(s.ports.first { $0.port == port }?.sockets.flatMap { $0.owners.map(\.pid) } ?? [])
    }

    @Test("status PORT…: exactly those ports, whatever the pool, range null")
    func givenPorts() throws {
        let range = TestSupport.freeRange(count: 3)
        let child = try ChildProcess.listening(on: range.first)
        let s = try snapshot(["status", String(range.last), String(range.first)])
        #expect(s.range == nil)
        #expect(s.ports.map(\.port) == [range.first, range.last])
        #expect(s.ports[0].state == "foreign" && pids(s, range.first) == [child.pid])
        #expect(s.ports[1].state == "free")
        let bad = portdash(["status", "0"])
        #expect(bad.status == 64 && bad.stderr.split(separator: "\n").count == 1)
    }

    @Test("status --all: every listener with its owners, as ss sees it; --ports and --mine filter")
    func everyListener() throws {
        let range = TestSupport.freeRange(count: 2)
        let child = try ChildProcess.listening(on: range.first)
        let six = try ChildProcess.listening(on: range.last, address: "::1")
        let s = try snapshot(["status", "--all"])
        #expect(s.range == nil)
        #expect(pids(s, range.first) == [child.pid] && pids(s, range.last) == [six.pid])
        // ss names the same owner.
        let ss = TestSupport.runCommand(["ss", "-Hltnp", "sport = :\(range.first)"]).stdout
        #expect(ss.contains("pid=\(child.pid),"))
        let only = try snapshot(["status", "--all", "--ports", "\(range.first)-\(range.first)"])
        #expect(only.ports.map(\.port) == [range.first])
        // --mine: root's listener is not nobody's.
        if geteuid() == 0, access("/usr/bin/setpriv", X_OK) == 0 {
            let r = TestSupport.runCommand(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                                            TestSupport.portdashBinary, "status", "--all", "--mine", "--json"],
                                           environment: ["PORTDASH_STATE": "/nonexistent/x.json"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(!r.stdout.contains("\"port\":\(range.first),"))
        }
        #expect(portdash(["status", "--mine"]).status == 64)
    }

    @Test("a listener in a network namespace the test creates is listed, marked with the namespace")
    func otherNamespace() throws {
        guard geteuid() == 0 else { print("skipped: creating a network namespace needs root"); return }
        let name = "pdtest\(getpid() % 100000)"
        let add = TestSupport.runCommand(["ip", "netns", "add", name])
        guard add.status == 0 else { print("skipped: ip netns add is not permitted here: \(add.stderr)"); return }
        defer { TestSupport.runCommand(["ip", "netns", "del", name]) }
        let port = TestSupport.freeRange(count: 1).first
        let server = ChildProcess(["ip", "netns", "exec", name, "python3", "-c",
                                   "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',\(port))); s.listen(); time.sleep(600)"])
        defer { server.signal(SIGKILL) }
        var found: SnapshotJSON.Socket?
        #expect(waitUntil {
            found = (try? snapshot(["status", "--all"]))?.ports.first { $0.port == port }?.sockets.first { $0.netns != nil }
            return found != nil
        })
        #expect(found?.netns?.name == name)
        #expect(found?.owners.first?.name == "python3")
        // The host's port itself is not held.
        let host = try snapshot(["status", String(port)])
        #expect(host.ports.first?.state == "free")
        let table = portdash(["status", "--all", "--ports", "\(port)-\(port)"]).stdout
        #expect(table.contains("(netns \(name))"))
    }

    @Test("docker-proxy says where it forwards to")
    func dockerProxy() throws {
        let port = TestSupport.freeRange(count: 1).first
        let link = dir + "/docker-proxy"
        #expect(symlink("/bin/sh", link) == 0)
        let l = try Listener(port: port)
        let proxy = ChildProcess([link, "-c", "while :; do sleep 1 3>&-; done", "-proto", "tcp", "-host-ip", "127.0.0.1",
                                  "-host-port", String(port), "-container-ip", "172.17.0.2", "-container-port", "80"],
                                 inherit: [3: l.fd])
        l.close()
        defer { proxy.signal(SIGKILL) }
        #expect(waitUntil { ProcessReader().stat(proxy.pid)?.comm == "docker-proxy" })
        let s = try snapshot(["status", String(port)])
        #expect(s.ports[0].sockets.first?.owners.first?.forwardsTo == "172.17.0.2:80")
        #expect(portdash(["status", String(port)]).stdout.contains("docker-proxy → 172.17.0.2:80"))
    }

    @Test("global options before the verb; the pool overlapping the ephemeral range is a warning")
    func globalsFirst() throws {
        let s = try snapshot(["--range", "40000-40002", "status"])
        #expect(s.range?.first == 40000 && s.range?.last == 40002)
        #expect(s.warnings.first?.contains("ip_local_reserved_ports") == true || EphemeralPorts()?.warning(for: PortRange(uncheckedFirst: 40000, last: 40002)) == nil)
        let plain = portdash(["--state", state, "--range", "40000-40002", "status"])
        #expect(plain.status == 0)
        #expect(plain.stdout.contains("40001  free"))
    }

    @Test("kill looks again: a listener that hands its port to a new process on SIGTERM is reported, exit 69")
    func killSeesReplacement() throws {
        let port = TestSupport.freeRange(count: 1).first
        // A graceful reload: on SIGTERM the server starts its replacement,
        // waits until it listens, then exits (nginx and gunicorn do this).
        let script = """
            import os, signal, socket, time
            def listen():
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
                s.bind(('127.0.0.1', \(port))); s.listen(); return s
            s = listen()
            def on_term(*_):
                r, w = os.pipe()
                if os.fork() == 0:
                    s.close(); os.setsid(); n = listen(); os.write(w, b'x'); time.sleep(300); os._exit(0)
                os.read(r, 1); os._exit(0)
            signal.signal(signal.SIGTERM, on_term)
            open('\(dir)/ready', 'w').close()
            time.sleep(600)
            """
        let server = ChildProcess(["python3", "-c", script])
        #expect(waitUntil { access(dir + "/ready", F_OK) == 0 })
        let dry = portdash(["kill", String(port), "--dry-run"])
        #expect(dry.status == 0 && dry.stderr.contains("would send SIGTERM to \(server.pid)"))
        #expect(!server.hasExited)
        let r = portdash(["kill", String(port), "--yes"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("\(server.pid) python3 exited after SIGTERM"))
        #expect(r.stderr.contains("still held, now by python3"))
        // The replacement is not ours to wait for: stop it.
        try killHolders(of: port)
    }

    @Test("kill watches the port a moment: a supervisor's new child, forked right after, is caught (exit 69)")
    func killSeesRespawn() throws {
        let port = TestSupport.freeRange(count: 1).first
        // A supervisor: holds no socket itself; each child binds and listens;
        // when one dies, the next is forked at once.
        let script = """
            import os, socket, time
            def serve():
                s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(('127.0.0.1', \(port))); s.listen(); time.sleep(60); os._exit(0)
            while True:
                pid = os.fork()
                if pid == 0: serve()
                os.waitpid(pid, 0)
            """
        let supervisor = ChildProcess(["python3", "-c", script])
        defer { supervisor.signal(SIGKILL) }
        #expect(waitUntil { ((try? snapshot(["status", String(port)]))?.ports.first?.sockets.isEmpty) == false })
        let r = portdash(["kill", String(port), "--yes"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("still held, now by python3"), "\(r.stderr)")
        supervisor.signal(SIGKILL)
        supervisor.wait()
        try killHolders(of: port)
    }
}
