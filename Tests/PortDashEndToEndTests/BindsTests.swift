import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Why `binds` cannot be tried here (nil: it can), as portdash itself finds out.
let bindsProblem: String? = RebindSupport.problem(executables: [], environment: ["PATH=/usr/bin:/bin"])?.description

/// Local addresses listening on `port` right now, as `ss` lists them.
func listeners(on port: UInt16) -> [String] {
    let r = TestSupport.runCommand(["ss", "-Hltn", "sport = :\(port)"])
    return r.stdout.split(separator: "\n").map(String.init)
}

/// A `portdash run NAME --binds B -- COMMAND` in the background, and the
/// port its stderr says it got.
final class BindsRun {
    let child: ChildProcess
    let log: String

    init(_ f: ProjectFixture, name: String, binds: UInt16, _ command: [String], directory: String? = nil) {
        log = f.dir + "/run-\(name).log"
        let argv = [TestSupport.portdashBinary, "run", "--range", "\(f.range.first)-\(f.range.last)", name, "--binds", String(binds), "--"] + command
        child = ChildProcess(argv, environment: f.environment, directory: directory ?? f.dir, outputFile: log, newProcessGroup: true)
    }

    var text: String { TestSupport.readFile(log).map { String(decoding: $0, as: UTF8.self) } ?? "" }

    /// The leased port from "NAME binds B → port N (pid …".
    func port() -> UInt16? {
        guard waitUntil(seconds: 120, { self.text.contains(" → port ") || self.child.hasExited }),
              let r = text.firstRange(of: " → port ") else { return nil }
        return UInt16(text[r.upperBound...].prefix { $0.isNumber })
    }
}

/// The answer of a server that writes a line to whoever connects.
func firstLine(from port: UInt16) -> String? {
    var answer: String?
    _ = waitUntil {
        guard let fd = HTTPTestClient.connect(port: port) else { return false }
        defer { close(fd) }
        _ = HTTPTestClient.sendAll(fd, "GET / HTTP/1.0\r\n\r\n")
        let text = String(decoding: HTTPTestClient.readUntilClosed(fd, seconds: 60), as: UTF8.self)
        answer = text.split(separator: "\n").last.map(String.init)
        return answer != nil
    }
    return answer
}

@Suite("binds: programs that hard-code their port (the binary)", .blocking, .serialized,
       .enabled(if: bindsProblem == nil, "\(bindsProblem ?? "")"))
struct BindsTests {
    /// `web` binds 3000 itself and asks its own checkout's api (which binds 8000) for the marker.
    static let web = """
        import http.server, sys, urllib.request
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = urllib.request.urlopen("http://127.0.0.1:8000/marker.txt", timeout=10).read()
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args): pass
        http.server.HTTPServer(("127.0.0.1", 3000), H).serve_forever()

        """

    func git(_ args: [String], in dir: String) {
        let r = TestSupport.runCommand(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"] + args,
                                       directory: dir)
        #expect(r.status == 0, "git \(args): \(r.stderr)")
    }

    @Test("two worktrees of an app with hard-coded ports 3000 and 8000 run at once; each web reaches its own api; nothing listens on 3000 or 8000")
    func twoCheckouts() throws {
        let f = ProjectFixture(ports: 8)
        let main = f.dir + "/shop", feature = f.dir + "/shop-feature"
        defer { for pid in processes(marked: f.dir) { kill(pid, SIGKILL) } }
        mkdir(main, 0o755)
        git(["init", "-q"], in: main)
        f.write("web.py", Self.web, at: main)
        f.write("marker.txt", "main\n", at: main)
        // -d names the checkout, so that every process of it can be found afterwards.
        f.write("portdash.toml", """
            [services.api]
            command = "exec python3 -m http.server 8000 --bind 127.0.0.1 -d \\"$PWD\\""
            binds = 8000

            [services.web]
            command = "exec python3 web.py \\"$PWD\\""
            binds = 3000
            depends_on = ["api"]

            """, at: main)
        git(["add", "."], in: main)
        git(["commit", "-q", "-m", "app"], in: main)
        git(["worktree", "add", "-q", "-b", "feature-x", feature], in: main)
        f.write("marker.txt", "feature\n", at: feature)
        let before = listeners(on: 3000) + listeners(on: 8000)

        let a = f.up(in: main, log: "main.log"), b = f.up(in: feature, log: "feature.log")
        #expect(a.waitFor("web is ready") && b.waitFor("web is ready"))
        #expect(a.log.contains("web binds 3000 → ") && a.log.contains("api binds 8000 → "), "\(a.log)")
        var web: [String: UInt16] = [:]
        for l in try f.leases() where l.service == "web" { web[l.project?.name ?? ""] = l.port }
        let mainWeb = try #require(web["shop@main"]), featureWeb = try #require(web["shop-feature@feature-x"])
        #expect(HTTPTestClient.get(port: mainWeb, "/")?.body == "main\n")
        #expect(HTTPTestClient.get(port: featureWeb, "/")?.body == "feature\n")
        #expect(listeners(on: 3000) + listeners(on: 8000) == before, "a service listens on the host's 3000 or 8000")
        let status = f.portdash(["status", String(mainWeb), "--json"])
        #expect(status.stdout.contains("\"binds\": 3000") || status.stdout.contains("\"binds\":3000"), "\(status.stdout)")
        let table = f.portdash(["status", String(mainWeb)])
        #expect(table.stdout.contains("web · shop@main binds 3000"), "\(table.stdout)")

        a.interrupt(); b.interrupt()
        #expect(a.wait() == 128 + SIGINT && b.wait() == 128 + SIGINT)
        #expect(waitUntil { processes(marked: f.dir).isEmpty }, "left: \(processes(marked: f.dir))")
    }

    /// A static server that binds with a raw system call, no libc wrapper:
    /// what an LD_PRELOAD library could never see.
    static let rawServer = """
        #define _GNU_SOURCE
        #include <arpa/inet.h>
        #include <netinet/in.h>
        #include <string.h>
        #include <sys/socket.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            struct sockaddr_in a; memset(&a, 0, sizeof a);
            a.sin_family = AF_INET; a.sin_port = htons(7000); a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (syscall(SYS_bind, s, &a, sizeof a) != 0) return 3;
            if (listen(s, 16) != 0) return 4;
            for (;;) {
                int c = accept(s, 0, 0);
                if (c < 0) continue;
                char line[128]; int n = snprintf(line, sizeof line, "static %s\\n", argv[1]);
                (void)!write(c, line, n);
                close(c);
            }
        }

        """

    @Test("a statically linked server binding 7000 with syscall(SYS_bind) runs twice at once with run --binds 7000",
          .enabled(if: access("/usr/bin/cc", X_OK) == 0, "no C compiler (/usr/bin/cc) to build the static server"))
    func staticServer() throws {
        let f = ProjectFixture(ports: 4)
        f.write("raw.c", Self.rawServer)
        let cc = TestSupport.runCommand(["/usr/bin/cc", "-static", "-O1", "-o", f.dir + "/raw-\(getpid())", f.dir + "/raw.c"])
        try #require(cc.status == 0, "cc: \(cc.stderr)")
        try twoRuns(f, binds: 7000, marker: "raw-\(getpid())", [f.dir + "/raw-\(getpid())", "one"], [f.dir + "/raw-\(getpid())", "two"],
                    expect: ("static one", "static two"))
    }

    @Test("a node server listening on 7000 runs twice at once with run --binds 7000",
          .enabled(if: access("/usr/bin/node", X_OK) == 0, "node is not installed (/usr/bin/node)"))
    func nodeServer() throws {
        let f = ProjectFixture(ports: 4)
        let script = "require('net').createServer(c => c.end('node ' + process.argv[1] + '\\n')).listen(7000, '127.0.0.1')"
        try twoRuns(f, binds: 7000, marker: "node-\(getpid())", ["/usr/bin/node", "-e", script, "one", "node-\(getpid())"],
                    ["/usr/bin/node", "-e", script, "two", "node-\(getpid())"], expect: ("node one", "node two"))
    }

    /// Both commands under `run --binds` at once: each answers on its own
    /// leased port, neither on `binds`; SIGTERM to each run leaves nothing.
    func twoRuns(_ f: ProjectFixture, binds: UInt16, marker: String, _ one: [String], _ two: [String],
                 expect: (String, String)) throws {
        defer { for pid in processes(marked: marker) { kill(pid, SIGKILL) } }
        let before = listeners(on: binds)
        let a = BindsRun(f, name: "one", binds: binds, one), b = BindsRun(f, name: "two", binds: binds, two)
        let pa = try #require(a.port(), "\(a.text)"), pb = try #require(b.port(), "\(b.text)")
        #expect(pa != pb)
        #expect(firstLine(from: pa) == expect.0, "\(a.text)")
        #expect(firstLine(from: pb) == expect.1, "\(b.text)")
        #expect(listeners(on: binds) == before)
        #expect(a.text.contains("one binds \(binds) → port \(pa)"))
        a.child.signal(SIGTERM); b.child.signal(SIGTERM)
        _ = a.child.wait(); _ = b.child.wait()
        #expect(waitUntil { processes(marked: marker).isEmpty }, "left: \(processes(marked: marker))")
        #expect(f.book().leases.isEmpty)
    }

    @Test("connections to ports that were not moved, and to the moved port on ::1, reach what they name")
    func otherPortsUntouched() throws {
        let f = ProjectFixture(ports: 4)
        let outside = try Listener(port: TestSupport.freeRange(count: 1).first)
        defer { outside.close() }
        let client = """
            import socket, sys
            socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10).close()
            s = socket.socket(socket.AF_INET6); s.bind(("::1", 7000)); s.listen()
            print("bound", s.getsockname()[1], flush=True)
            c = socket.create_connection(("::1", 7000), timeout=10)
            print("reached", c.getpeername()[1], flush=True)

            """
        f.write("client.py", client)
        let run = BindsRun(f, name: "c", binds: 7000, ["python3", f.dir + "/client.py", String(outside.port)])
        let port = try #require(run.port(), "\(run.text)")
        #expect(run.child.wait() == 0, "\(run.text)")
        #expect(run.text.contains("bound \(port)") && run.text.contains("reached \(port)"), "\(run.text)")
    }

    @Test("a set-user-ID program: exit 69 with the reason, nothing started, no lease")
    func setuidRefused() throws {
        let f = ProjectFixture(ports: 2)
        let program = f.dir + "/suid-sleep"
        let copy = TestSupport.runCommand(["cp", "/bin/sleep", program])
        try #require(copy.status == 0)
        chmod(program, 0o4755)
        let r = f.portdash(["run", "s", "--binds", "7000", "--", program, "100"])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("set-user-ID") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(processes(marked: program).isEmpty)
        #expect(f.book().leases.isEmpty)
    }

    @Test("as an unprivileged user (setpriv to nobody): run --binds works",
          .enabled(if: geteuid() == 0 && access("/usr/bin/setpriv", X_OK) == 0, "needs root and setpriv to become an unprivileged user"))
    func unprivileged() throws {
        let f = ProjectFixture(ports: 2)
        let home = f.dir + "/nobody"
        mkdir(home, 0o700)
        chown(home, 65534, 65534)
        chmod(f.dir, 0o755)
        let marker = "nobody-\(getpid())"
        defer { for pid in processes(marked: marker) { kill(pid, SIGKILL) } }
        let argv = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                    TestSupport.portdashBinary, "run", "--range", "\(f.range.first)-\(f.range.last)", "--state", home + "/leases.json",
                    "u", "--binds", "7000", "--", "/usr/bin/python3", "-c",
                    "import socket,time; s=socket.socket(); s.bind(('127.0.0.1',7000)); s.listen(); print('nobody', s.getsockname()[1], flush=True); time.sleep(600)",
                    marker]
        let log = f.dir + "/nobody.log"
        let child = ChildProcess(argv, environment: ["HOME": home], directory: home, outputFile: log, newProcessGroup: true)
        let text = { TestSupport.readFile(log).map { String(decoding: $0, as: UTF8.self) } ?? "" }
        #expect(waitUntil { text().contains("nobody ") || child.hasExited }, "\(text())")
        #expect(text().contains("nobody \(f.range.first)") || text().contains("nobody \(f.range.last)"), "\(text())")
        child.signal(SIGTERM)
        _ = child.wait()
        #expect(waitUntil { processes(marked: marker).isEmpty })
    }

    @Test("a dev server with a port flag (a stand-in vite on PATH) gets --port with the leased port from up, and is ready on it")
    func devServerFlag() throws {
        let f = ProjectFixture(ports: 2)
        mkdir(f.dir + "/bin", 0o755)
        // Listens where --port says, else on vite's own 5173, as vite does.
        TestSupport.writeFile(f.dir + "/bin/vite", """
            #!/usr/bin/env python3
            import socket, sys, time
            port = int(sys.argv[sys.argv.index("--port") + 1]) if "--port" in sys.argv else 5173
            s = socket.socket(); s.bind(("127.0.0.1", port)); s.listen()
            print("vite ready on", port, " ".join(sys.argv[1:]), flush=True)
            time.sleep(600)

            """, mode: 0o755)
        f.extraEnvironment["PATH"] = f.dir + "/bin:/usr/local/bin:/usr/bin:/bin"
        f.write("portdash.toml", "[services.web]\ncommand = \"vite\"\n")
        let up = f.up()
        #expect(up.waitFor("web is ready: listening on port \(f.range.first)"))
        #expect(up.log.contains("web: added --port \(f.range.first) --strictPort"), "\(up.log)")
        // Its own line comes through up's output pipe, which may be after "ready" was said.
        #expect(up.waitFor("vite ready on \(f.range.first) --port \(f.range.first) --strictPort"))
        up.interrupt()
        #expect(up.wait() == 128 + SIGINT)
    }

    /// Runs its arguments where seccomp(2) fails with EPERM, as under a
    /// container profile that forbids it.
    static let noSeccomp = """
        #include <errno.h>
        #include <linux/filter.h>
        #include <linux/seccomp.h>
        #include <stddef.h>
        #include <sys/prctl.h>
        #include <sys/syscall.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            struct sock_filter code[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 0, 1),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
            };
            struct sock_fprog prog = { .len = 4, .filter = code };
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) return 120;
            execv(argv[1], argv + 1);
            return 121;
        }

        """

    @Test("where seccomp(2) is forbidden: run --binds and up with binds exit 69 with one line, nothing started, no lease",
          .enabled(if: access("/usr/bin/cc", X_OK) == 0, "no C compiler (/usr/bin/cc) to build the wrapper that forbids seccomp"))
    func seccompForbidden() throws {
        let f = ProjectFixture(ports: 2)
        f.write("noseccomp.c", Self.noSeccomp)
        let wrapper = f.dir + "/noseccomp"
        let cc = TestSupport.runCommand(["/usr/bin/cc", "-O1", "-o", wrapper, f.dir + "/noseccomp.c"])
        try #require(cc.status == 0, "cc: \(cc.stderr)")
        let marker = "never-started-\(getpid())"
        let range = "\(f.range.first)-\(f.range.last)"
        let run = TestSupport.runCommand([wrapper, TestSupport.portdashBinary, "run", "--range", range, "s", "--binds", "7000", "--",
                                          "sleep", "100", marker], environment: f.environment, directory: f.dir)
        #expect(run.status == 69, "\(run.status) \(run.stderr)")
        #expect(run.stderr.contains("seccomp user notification is unavailable") && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        f.write("portdash.toml", "[services.web]\ncommand = \"sleep 100 \(marker)\"\nbinds = 3000\n")
        let up = TestSupport.runCommand([wrapper, TestSupport.portdashBinary, "up", "--range", range], environment: f.environment, directory: f.dir)
        #expect(up.status == 69, "\(up.status) \(up.stderr)")
        #expect(up.stderr.contains("seccomp user notification is unavailable"), "\(up.stderr)")
        #expect(processes(marked: marker).isEmpty)
        #expect(f.book().leases.isEmpty)
    }

    @Test("a 32-bit program (an ELFCLASS32 file): exit 69 with the reason, nothing started, no lease")
    func elf32Refused() throws {
        let f = ProjectFixture(ports: 2)
        let program = f.dir + "/old32"
        // The check reads the ELF header alone: a header is enough.
        TestSupport.writeFile(program, "\u{7F}ELF\u{01}\u{01}\u{01}" + String(repeating: "\u{0}", count: 57), mode: 0o755)
        let r = f.portdash(["run", "o", "--binds", "7000", "--", program])
        #expect(r.status == 69, "\(r.stderr)")
        #expect(r.stderr.contains("32-bit program"), "\(r.stderr)")
        #expect(f.book().leases.isEmpty)
    }
}
