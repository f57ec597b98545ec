import Testing
import PortKitTestSupport
import SystemPackage
@testable import PortKit
import Glibc

/// Real sockets and real processes on ports the test found free itself.
@Suite("Live sockets and processes")
struct LiveSocketTests {
    func scan(_ range: PortRange) throws -> PortSnapshot {
        var scanner = PortScanner()
        return try scanner.scan(range)
    }

    @Test("a listener in the test process is reported with our pid")
    func ownListener() throws {
        let range = TestSupport.freeRange(count: 2)
        let l = try Listener(port: range.first)
        let p = try #require(try scan(range).report(range.first))
        #expect(p.state == .foreign)
        #expect(TestSupport.withoutPassingForks(p.owners.map(\.pid), keep: [getpid()]) == [getpid()])
        #expect(p.sockets.first?.socket.inode == l.inode)
        #expect(p.sockets.first?.socket.local.addressText == "127.0.0.1")
        #expect(TestSupport.withoutPassingForks(p.sockets.first?.refs ?? [], keep: [getpid()]) == [FDRef(pid: getpid(), fd: l.fd)])
        #expect(p.probe.ipv4 == .inUse)
        #expect(try scan(range).report(range.last)?.state == .free)
    }

    @Test("a listener held only by a child process is reported with the child's pid")
    func childListener() throws {
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first)
        let p = try #require(try scan(range).report(range.first))
        #expect(p.owners.map(\.pid) == [child.pid])
        #expect(p.owners.first?.name == "sleep")
        #expect(p.owners.first?.cmdline == ["sleep", "600"])
        #expect(p.owners.first?.startTime == ProcessReader().startTime(child.pid))
    }

    @Test("one process listening on two ports is reported on both")
    func twoPorts() throws {
        let range = TestSupport.freeRange(count: 3)
        let a = try Listener(port: range.first)
        let b = try Listener(port: range.first + 2)
        let s = try scan(range)
        #expect(TestSupport.withoutPassingForks(s.report(range.first)?.owners.map(\.pid) ?? [], keep: [getpid()]) == [getpid()])
        #expect(TestSupport.withoutPassingForks(s.report(range.first + 2)?.owners.map(\.pid) ?? [], keep: [getpid()]) == [getpid()])
        #expect(s.report(range.first + 1)?.state == .free)
        _ = (a, b)
    }

    @Test("an IPv6 listener on ::1")
    func ipv6Loopback() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first, address: "::1")
        let p = try #require(try scan(range).report(range.first))
        #expect(p.sockets.first?.socket.local.family == .ipv6)
        #expect(p.sockets.first?.socket.local.addressText == "::1")
        #expect(TestSupport.withoutPassingForks(p.owners.map(\.pid), keep: [getpid()]) == [getpid()])
        #expect(p.probe.ipv6 == .inUse)
        #expect(p.state == .foreign)
        _ = l
    }

    @Test("a dual-stack IPv6 socket bound to a v4-mapped address")
    func v4Mapped() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first, address: "::ffff:127.0.0.1", v6only: false)
        let p = try #require(try scan(range).report(range.first))
        #expect(p.sockets.first?.socket.local.addressText == "::ffff:127.0.0.1")
        #expect(p.probe.ipv4 == .inUse)
        _ = l
    }

    @Test("a socket shared by a parent and its child lists both pids")
    func shared() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first)
        let child = ChildProcess(["sleep", "600"], inherit: [3: l.fd])
        let p = try #require(try scan(range).report(range.first))
        #expect(p.sockets.count == 1)
        #expect(TestSupport.withoutPassingForks(p.owners.map(\.pid), keep: [getpid(), child.pid]) == [getpid(), child.pid].sorted())
        #expect(Set(TestSupport.withoutPassingForks(p.sockets[0].refs, keep: [getpid(), child.pid])) == [FDRef(pid: getpid(), fd: l.fd), FDRef(pid: child.pid, fd: 3)])
    }

    @Test("accepted connections are counted on their port")
    func connections() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first)
        let (c, s) = l.connectLoopback()
        defer { close(c); close(s) }
        let p = try #require(try scan(range).report(range.first))
        #expect(p.sockets.first?.socket.state == .listen)
        #expect(p.connectionCount == 1)
        #expect(p.sockets.last?.socket.state == .established)
    }

    @Test("a vanished child leaves its port free at the next scan")
    func vanished() throws {
        let range = TestSupport.freeRange(count: 1)
        let child = try ChildProcess.listening(on: range.first)
        #expect(try scan(range).report(range.first)?.state == .foreign)
        child.signal(SIGKILL)
        child.wait()
        #expect(try scan(range).report(range.first)?.state == .free)
    }
}

@Suite("Bind probe")
struct BindProbeTests {
    @Test("free, then EADDRINUSE on the family that holds it")
    func probe() throws {
        let range = TestSupport.freeRange(count: 1)
        let probe = BindProbe()
        #expect(probe.probe(range.first).isFree)
        let l4 = try Listener(port: range.first, address: "0.0.0.0")
        let r = probe.probe(range.first)
        #expect(r.ipv4 == .inUse)
        #expect(r.ipv6 == .free)  // IPV6_V6ONLY probe: v6 is separate
        #expect(!r.isFree && r.isInUse)
        l4.close()
        let l6 = try Listener(port: range.first, address: "::1")
        #expect(probe.probe(range.first).ipv6 == .inUse)
        _ = l6
    }

    @Test("a listener on one address blocks the wildcard bind")
    func specificAddress() throws {
        let range = TestSupport.freeRange(count: 1)
        let l = try Listener(port: range.first, address: "127.0.0.1")
        #expect(BindProbe().bind(range.first, family: AF_INET) == .inUse)
        _ = l
    }

    @Test("other errors are told apart from EADDRINUSE")
    func otherErrors() throws {
        // Port 1 needs privilege; as root it binds, so only check the non-root answer.
        let r = BindProbe().bind(1, family: AF_INET)
        if geteuid() == 0 { #expect(r == .free || r == .inUse) } else { #expect(r == .failed(.permissionDenied)) }
    }
}
