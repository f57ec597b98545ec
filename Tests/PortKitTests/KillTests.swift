import Dispatch
import Testing
import PortKitTestSupport
@testable import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

@Suite("Kill guard and process killer (real processes)")
struct KillTests {
    func target(_ pid: Int32, startTime: UInt64? = nil) -> KillTarget {
        let st = ProcessReader().stat(pid)
        return KillTarget(pid: pid, startTime: startTime ?? st?.startTime ?? 0, name: st?.comm ?? "?", user: "u", commandLine: "")
    }

    @Test("pid 0, pid 1, portdash itself and its ancestors are refused")
    func protectedPids() {
        let g = KillGuard()
        for pid: Int32 in [0, 1, -5, getpid(), getppid()] {
            #expect(throws: PortKitError.self, "pid \(pid)") { try g.check(target(pid)) }
        }
        #expect { try g.check(target(getppid())) } throws: { "\($0)".contains("ancestor") }
    }

    @Test("several targets share one grace period: every one gets SIGTERM before any is waited for")
    func oneGracePeriod() throws {
        let dir = TestSupport.temporaryDirectory()
        defer { TestSupport.removeTree(dir) }
        // Workers that note SIGTERM in a file and keep running (like a server
        // finishing its requests).
        let workers = (0..<3).map { i in
            ChildProcess(["sh", "-c", "trap 'touch \(dir)/term-\(i)' TERM; while :; do sleep 0.05; done"])
        }
        for w in workers { #expect(waitUntil { TestSupport.signalMask(w.pid, "SigCgt", contains: SIGTERM) }) }
        let targets = workers.map { target($0.pid) }
        let done = DispatchSemaphore(value: 0)
        let box = ResultsBox()
        DispatchQueue.global().async {
            box.results = ProcessKiller().terminateAll(targets, signal: SIGTERM, timeout: 120)
            done.signal()
        }
        // One after another, the second would see SIGTERM only after the first's 120 s.
        #expect(waitUntil { (0..<3).allSatisfy { access("\(dir)/term-\($0)", F_OK) == 0 } })
        for w in workers { w.signal(SIGKILL) }
        done.wait()
        #expect(box.results.count == 3)
        for r in box.results {
            guard case .success(.exited(let sig, _)) = r else { Issue.record("\(r)"); continue }
            #expect(sig == SIGTERM)
        }
    }

    @Test("a pid whose start time changed (reused) is refused and not signalled")
    func reusedPid() throws {
        let child = ChildProcess(["sleep", "30"])
        let real = target(child.pid)
        let stale = KillTarget(pid: child.pid, startTime: real.startTime + 1, name: "sleep", user: "u", commandLine: "")
        #expect { try ProcessKiller().terminate(stale, timeout: 0.2) } throws: { "\($0)".contains("different process") }
        #expect(!child.hasExited)
        child.signal(SIGKILL)
    }

    @Test("a process that exited before the signal is reported as already gone, not as an error")
    func gone() throws {
        let child = ChildProcess(["sleep", "30"])
        let t = target(child.pid)
        child.signal(SIGKILL)
        child.wait()
        #expect(try ProcessKiller().terminate(t) == .alreadyGone)
    }

    @Test("SIGTERM ends a normal process within the grace period")
    func term() throws {
        let child = ChildProcess(["sleep", "30"])
        // A generous grace period: on a loaded machine the exit may take a
        // while, and what matters is that SIGTERM alone ended it.
        let outcome = try ProcessKiller().terminate(target(child.pid), timeout: 60)
        guard case .exited(let sig, _) = outcome else { Issue.record("\(outcome)"); return }
        #expect(sig == SIGTERM)
        #expect(child.wait() == 128 + SIGTERM)
    }

    @Test("a process that ignores SIGTERM gets SIGKILL after the timeout, with a countdown")
    func escalate() throws {
        let child = ChildProcess(["sh", "-c", "trap '' TERM; while :; do sleep 0.05; done"])
        // Signal only once sh has installed its trap (SIGTERM in SigIgn).
        #expect(waitUntil { TestSupport.signalMask(child.pid, "SigIgn", contains: SIGTERM) })
        var ticks: [Double] = []
        let outcome = try ProcessKiller().terminate(target(child.pid), timeout: 1) { ticks.append($0) }
        guard case .killed = outcome else { Issue.record("\(outcome)"); return }
        #expect(child.wait() == 128 + SIGKILL)
        #expect(ticks.count >= 2 && ticks.first! > ticks.last!)
    }
}

@Suite("sock_diag source")
struct SockDiagTests {
    @Test("the request is the 92 bytes the kernel expects, with the range in the filter")
    func request() {
        let r = SockDiagSource.request(af: UInt8(AF_INET6), range: PortRange(uncheckedFirst: 5000, last: 5010), seq: 7)
        #expect(r.count == 92)
        #expect(r[0..<4] == [92, 0, 0, 0])                  // nlmsg_len
        #expect(r[4..<6] == [20, 0])                        // SOCK_DIAG_BY_FAMILY
        #expect(r[16] == UInt8(AF_INET6) && r[17] == UInt8(IPPROTO_TCP))
        #expect(r[72..<76] == [20, 0, 1, 0])               // rtattr: 20 bytes, INET_DIAG_REQ_BYTECODE
        #expect(r[76] == 2 && r[82..<84] == [0x88, 0x13])  // S_GE 5000
        #expect(r[84] == 3 && r[90..<92] == [0x92, 0x13])  // S_LE 5010
    }

    @Test("on live sockets it lists what /proc/net/tcp{,6} lists, each socket once")
    func sameAsProc() throws {
        let range = TestSupport.freeRange(count: 4)
        let a = try Listener(port: range.first)
        let b = try Listener(port: range.first + 1, address: "::1")
        let c = try Listener(port: range.first + 2, address: "::ffff:127.0.0.1", v6only: false)
        let (x, y) = a.connectLoopback()
        defer { close(x); close(y) }
        func key(_ s: TCPSocket) -> String { "\(s.local.addressText):\(s.local.port) \(s.state.name) \(s.inode) \(s.uid) \(s.remote.addressText):\(s.remote.port)" }
        let diag = try SockDiagSource().sockets(in: range).map(key)
        let proc = try ProcNetTCPSource().sockets(in: range).map(key)
        // Neither source reports a socket twice.
        #expect(Set(diag).count == diag.count)
        #expect(Set(proc).count == proc.count)
        // Our four sockets (three listeners, one accepted connection) are in
        // both, described the same way. Something else may come or go in
        // the range between the two reads; that is not a disagreement.
        let ours = Set([a.inode, b.inode, c.inode, inode(of: y)]).map(String.init)
        func mine(_ rows: [String]) -> Set<String> { Set(rows.filter { ours.contains(String($0.split(separator: " ")[2])) }) }
        #expect(mine(diag).count == 4)
        #expect(mine(diag) == mine(proc))
    }

    func inode(of fd: Int32) -> UInt64 {
        var st = stat()
        fstat(fd, &st)
        return UInt64(st.st_ino)
    }
}

@Suite("Caching owner resolver")
struct CachingResolverTests {
    @Test("re-verifies known sockets without a walk, walks for new ones, forgets closed ones")
    func cache() throws {
        let range = TestSupport.freeRange(count: 3)
        let a = try Listener(port: range.first)
        var r = CachingOwnerResolver(fullWalkEvery: 3600)
        var expected: Set<Int32> = [getpid()]
        // Holders, without passing forks of other tests (see withoutPassingForks).
        func holders(_ result: SocketOwners.Result) -> [UInt64: [FDRef]] {
            result.holders.mapValues { TestSupport.withoutPassingForks($0, keep: expected) }
        }
        let first = try r.resolve([a.inode])
        #expect(r.lastWasFullWalk)
        #expect(holders(first)[a.inode] == [FDRef(pid: getpid(), fd: a.fd)])
        let second = try r.resolve([a.inode])
        #expect(!r.lastWasFullWalk)
        #expect(holders(second) == holders(first))
        // A new socket in an old process: found by the newest-first walk, which stops there.
        let b = try Listener(port: range.last)
        let third = try r.resolve([a.inode, b.inode])
        #expect(!r.lastWasFullWalk)
        #expect(holders(third)[b.inode] == [FDRef(pid: getpid(), fd: b.fd)])
        #expect(holders(third)[a.inode] == [FDRef(pid: getpid(), fd: a.fd)])
        // A fork sharing a known socket is a new process: found at the next refresh.
        let child = ChildProcess(["sleep", "30"], inherit: [3: a.fd])
        expected.insert(child.pid)
        #expect(waitUntil { ProcessReader().stat(child.pid)?.comm == "sleep" })
        let fourth = try r.resolve([a.inode, b.inode])
        #expect(!r.lastWasFullWalk)
        #expect(Set(holders(fourth)[a.inode]?.map(\.pid) ?? []) == [getpid(), child.pid])
        child.signal(SIGKILL); child.wait()
        // The child's reference no longer verifies; ours still does.
        let fifth = try r.resolve([a.inode, b.inode])
        #expect(holders(fifth)[a.inode]?.map(\.pid) == [getpid()])
        // A pre-fork server: an old process makes a new listener and forks a
        // worker before the next refresh. Both must show, not just the new worker.
        let c = try Listener(port: range.first + 1)
        _ = c
        let worker = ChildProcess(["sleep", "30"], inherit: [3: c.fd])
        expected.insert(worker.pid)
        #expect(waitUntil { ProcessReader().stat(worker.pid)?.comm == "sleep" })
        let prefork = try r.resolve([a.inode, b.inode, c.inode])
        #expect(Set(holders(prefork)[c.inode]?.map(\.pid) ?? []) == [getpid(), worker.pid])
        worker.signal(SIGKILL); worker.wait()
        // The safety walk gives the same answer.
        r.fullWalkEvery = 0
        let sixth = try r.resolve([a.inode, b.inode])
        #expect(r.lastWasFullWalk && holders(sixth) == holders(fifth))
        _ = c
    }
}

@Suite("Refreshing socket source (the dashboard's)")
struct RefreshingSourceTests {
    @Test("listeners every time; other states from a full dump when due, or when a busy port is unexplained")
    func dumps() throws {
        let range = TestSupport.freeRange(count: 3)
        let l = try Listener(port: range.first)
        let source = RefreshingSocketSource(fullEvery: 3600)
        let first = try source.sockets(in: range, busy: [range.first])
        #expect(source.lastWasFull && first.count == 1)
        let (c, s) = l.connectLoopback()
        defer { close(c); close(s) }
        // The listener is fresh; the new connection waits for the next full dump.
        let second = try source.sockets(in: range, busy: [range.first])
        #expect(!source.lastWasFull)
        #expect(second.map(\.state) == [.listen])
        // A client socket bound to a range port, with no listener there: the
        // probe says busy, nothing explains it, so a full dump runs at once.
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(client) }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = (range.first + 2).bigEndian
        sa.sin_addr = in_addr(s_addr: UInt32(0x7F000001).bigEndian)
        _ = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        sa.sin_port = range.first.bigEndian
        _ = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        let third = try source.sockets(in: range, busy: [range.first, range.first + 2])
        #expect(source.lastWasFull)
        #expect(third.contains { $0.local.port == range.first + 2 && $0.state == .established })
        #expect(third.filter { $0.local.port == range.first }.count >= 2)  // listener + accepted connection(s)
    }

    @Test("a new connection's owner is found in its listener's process without a walk of everything")
    func connectionOwner() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first)
        var r = CachingOwnerResolver(fullWalkEvery: 3600)
        _ = try r.resolve([l.inode], primary: [l.inode])
        let (c, s) = l.connectLoopback()
        defer { close(c); close(s) }
        let table = try SockDiagSource().sockets(in: range)
        let conn = try #require(table.first { $0.state == .established }?.inode)
        let result = try r.resolve([l.inode, conn], primary: [l.inode])
        #expect(TestSupport.withoutPassingForks(result.holders[conn]?.map(\.pid) ?? [], keep: [getpid()]) == [getpid()])
        // Besides processes new since the last refresh (other tests spawn
        // them all the time), only the listener's process was looked in.
        #expect(r.lastWalkedPids - r.lastFreshPids <= 1)
    }
}

final class ResultsBox: @unchecked Sendable {
    var results: [Result<KillOutcome, PortKitError>] = []
}
