import Testing
import PortKitTestSupport
@testable import PortKit
import SystemPackage
import Glibc

/// A process whose main thread has exited (pthread_exit) while another runs
/// on: /proc/PID/fd lists nothing, its descriptors only under
/// /proc/PID/task/TID/fd. It must be found as the holder, not "pid hidden".
@Suite("Holders whose main thread has exited")
struct ThreadHolderTests {
    /// A /proc tree with such a process (400, thread 401) holding a listener
    /// on 5000, and a kernel-thread-like process (2) with an empty fd directory.
    func fixture() -> String {
        let root = TestSupport.temporaryDirectory("portdash-proc-threads")
        for d in ["net", "400", "400/fd", "400/task", "400/task/400", "400/task/400/fd", "400/task/401", "400/task/401/fd",
                  "2", "2/fd", "2/task", "2/task/2", "2/task/2/fd"] {
            mkdir(root + "/" + d, 0o755)
        }
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        TestSupport.writeFile(root + "/net/tcp", header
            + "   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0\n")
        TestSupport.writeFile(root + "/net/tcp6", header)
        TestSupport.writeFile(root + "/400/stat", "400 (server) Z 1 400 400 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 2 0 4200 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n")
        TestSupport.writeFile(root + "/400/status", "Name:\tserver\nState:\tZ (zombie)\nPid:\t400\nPPid:\t1\nUid:\t1000\t1000\t1000\t1000\n")
        TestSupport.writeFile(root + "/400/cmdline", "")
        symlink("socket:[4242]", root + "/400/task/401/fd/3")
        symlink("/dev/null", root + "/400/task/401/fd/0")
        TestSupport.writeFile(root + "/2/stat", "2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n")
        return root
    }

    @Test("the fixture: the holder is the process, found through its thread's table")
    func fixtureHolder() throws {
        let root = fixture()
        defer { TestSupport.removeTree(root) }
        var scanner = PortScanner(root: ProcRoot(path: root), probe: FakeProbeInUse(port: 5000))
        let p = try #require(try scanner.scan(PortRange(uncheckedFirst: 5000, last: 5001), leases: [], now: 1000).report(5000))
        #expect(p.owners.map(\.pid) == [400])
        #expect(p.sockets.first?.refs == [FDRef(pid: 400, fd: 3, thread: 401)])
        #expect(p.holderSummary == "server (pid 400)")
        #expect(!p.holderSummary.contains("hidden"))
        // The dashboard re-reads that one link on the next refresh.
        let procfd = try ProcRoot(path: root).openDirectory()
        defer { try? procfd.close() }
        #expect(SocketOwners(root: ProcRoot(path: root)).verify(FDRef(pid: 400, fd: 3, thread: 401), inode: 4242, procfd: procfd))
    }

    @Test("a real process whose main thread called pthread_exit is the owner of its listener")
    func realProcess() throws {
        guard let binary = Self.compile() else { return }
        defer { TestSupport.removeTree(String(binary[..<binary.lastIndex(of: "/")!])) }
        let range = TestSupport.freeRange(count: 1)
        let child = ChildProcess([binary, String(range.first)])
        defer { child.signal(SIGKILL); _ = child.wait() }
        // Listening, and the main thread gone (a zombie leader with a live thread).
        #expect(waitUntil {
            guard let st = ProcessReader().stat(child.pid) else { return false }
            return st.state == "Z" && st.threads == 2
        })
        var scanner = PortScanner()
        let p = try #require(try scanner.scan(range).report(range.first))
        #expect(p.owners.map(\.pid) == [child.pid], "\(p.holderSummary)")
        #expect(p.sockets.first?.refs.first?.thread != nil)
        #expect(ProcessReader().isRunning(ProcessStamp(pid: child.pid, startTime: ProcessReader().startTime(child.pid) ?? 0)))
    }

    /// main() listens, starts a thread that sleeps, and ends its own thread.
    static let source = """
        #include <pthread.h>
        #include <netinet/in.h>
        #include <stdlib.h>
        #include <sys/socket.h>
        #include <unistd.h>
        static void *idle(void *a) { (void)a; for (;;) pause(); return 0; }
        int main(int argc, char **argv) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = {0};
            sa.sin_family = AF_INET; sa.sin_port = htons(atoi(argv[1])); sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (bind(s, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s, 8) != 0) return 1;
            pthread_t t;
            pthread_create(&t, 0, idle, 0);
            pthread_exit(0);
        }

        """

    /// The program built with the system's C compiler; nil (and why, printed) without one.
    static func compile() -> String? {
        let dir = TestSupport.temporaryDirectory("portdash-cc")
        TestSupport.writeFile(dir + "/main-exits.c", source)
        for cc in ["/usr/bin/cc", "/usr/bin/gcc", "/usr/bin/clang"] where access(cc, X_OK) == 0 {
            let r = TestSupport.runCommand([cc, "-o", dir + "/main-exits", dir + "/main-exits.c", "-pthread"])
            if r.status == 0 { return dir + "/main-exits" }
            print("skipped: \(cc) could not build the test program: \(r.stderr)")
            break
        }
        if access(dir + "/main-exits", X_OK) != 0 { print("skipped realProcess: no C compiler (cc, gcc, clang) to build a program whose main thread exits") }
        TestSupport.removeTree(dir)
        return nil
    }
}

/// Bind says `port` is taken (the fixture's listener is not a real socket).
struct FakeProbeInUse: PortProbing {
    let port: UInt16
    func probe(_ p: UInt16) -> ProbeResult { p == port ? ProbeResult(ipv4: .inUse, ipv6: .inUse) : ProbeResult(ipv4: .free, ipv6: .free) }
}
