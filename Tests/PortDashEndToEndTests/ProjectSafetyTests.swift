import Testing
import PortKitTestSupport
import PortKit
import Glibc

/// What the hostile review found in projects: files whose commands we would
/// run, files we would overwrite, and Windows line endings.
@Suite("projects against hostile files (the binary)", .blocking)
struct ProjectSafetyTests {
    static let toml = "[services.api]\ncommand = \"true\"\nready = \"none\"\n"

    @Test("another user's portdash.toml, one others can write, or a FIFO: refused in one line, exit 77, nothing run")
    func untrustedProjectFile() throws {
        let f = ProjectFixture(ports: 2)
        let file = f.dir + "/portdash.toml"
        f.write("portdash.toml", ProjectSafetyTests.toml)
        chmod(file, 0o666)
        let writable = f.portdash(["env"])
        #expect(writable.status == 77 && writable.stderr.contains("chmod go-w"), "\(writable.stderr)")
        chmod(file, 0o644)
        #expect(f.portdash(["env"]).status == 0)
        if geteuid() == 0 {
            #expect(chown(file, 65534, 65534) == 0)
            let theirs = f.portdash(["env"])
            #expect(theirs.status == 77 && theirs.stderr.contains("belongs to uid 65534"), "\(theirs.stderr)")
            #expect(theirs.stderr.split(separator: "\n").count == 1)
        }
        unlink(file)
        #expect(mkfifo(file, 0o644) == 0)
        let fifo = f.portdash(["env"])  // must not hang in open()
        #expect(fifo.status == 77 && fifo.stderr.contains("not a regular file"), "\(fifo.stderr)")
    }

    @Test("env --dotenv replaces only a regular file, keeping its mode; new files are 0600; links and devices are refused")
    func dotenv() throws {
        let f = ProjectFixture(ports: 2)
        f.write("portdash.toml", ProjectSafetyTests.toml)
        let env = f.dir + "/.env"
        #expect(f.portdash(["env", "--dotenv", env]).status == 0)
        var st = stat()
        stat(env, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        chmod(env, 0o640)
        #expect(f.portdash(["env", "--dotenv", env]).status == 0)
        stat(env, &st)
        #expect(st.st_mode & 0o777 == 0o640)
        let link = f.dir + "/link.env"
        #expect(symlink(env, link) == 0)
        let viaLink = f.portdash(["env", "--dotenv", link])
        #expect(viaLink.status == 73 && viaLink.stderr.contains("symbolic link"), "\(viaLink.stderr)")
        var lst = stat()
        lstat(link, &lst)
        #expect(lst.st_mode & S_IFMT == S_IFLNK)
        let fifo = f.dir + "/fifo.env"
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(f.portdash(["env", "--dotenv", fifo]).status == 73)
        let missing = f.portdash(["env", "--dotenv", f.dir + "/no/such/dir/.env"])
        #expect(missing.status == 73 && missing.stderr.split(separator: "\n").count == 1)
    }

    @Test("a Procfile with CRLF line endings and a byte-order mark is read line by line")
    func crlfProcfile() throws {
        let f = ProjectFixture(ports: 3)
        f.write("Procfile", "\u{FEFF}web: echo WEB\r\nworker: echo WORKER\r\n")
        let r = f.portdash(["env"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("WEB_PORT=") && r.stdout.contains("WORKER_PORT="), "\(r.stdout)")
    }

    @Test("up stops what a service started outside its process group (setsid) too, before releasing the port")
    func setsidStray() throws {
        let f = ProjectFixture(ports: 2)
        let daemon = "import os, socket, time; s = socket.socket(); s.bind(('127.0.0.1', int(os.environ['PORT']))); s.listen(); time.sleep(300)"
        f.write("portdash.toml", "[services.daemon]\ncommand = \"setsid python3 -c \\\"\(daemon)\\\" & exec sleep 300\"\n")
        let up = f.up(["--grace", "1"])
        #expect(up.waitFor("daemon is ready"), "\(up.log)")
        let port = try #require(f.book().leases.first?.port)
        up.interrupt()
        #expect(up.wait() == 130, "\(up.log)")
        // Nothing listens there any more: the setsid'd python went with its service.
        let status = f.portdash(["status", String(port), "--json"])
        #expect(status.stdout.contains("\"state\":\"free\""), "\(status.stdout)\n\(up.log)")
    }
}
