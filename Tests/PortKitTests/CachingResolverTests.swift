import Testing
import PortKitTestSupport
@testable import PortKit
import Glibc

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
        let child = ChildProcess(["sleep", "600"], inherit: [3: a.fd])
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
        let worker = ChildProcess(["sleep", "600"], inherit: [3: c.fd])
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
