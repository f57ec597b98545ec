import Testing
@testable import PortKit

/// A world for the lease engine: a settable clock, a table of busy ports,
/// a set of live processes and their parents.
final class FakeEnvironment: LeaseEnvironment {
    var now: Int64 = 1_000_000
    var busy: [UInt16: (String, [Int32])] = [:]
    var alive: Set<LeaseOwner> = []
    var parents: [Int32: Int32] = [:]
    var probed: [UInt16] = []

    /// Processes' cgroups, and the groups that hold a process.
    var groups: [Int32: String] = [:]
    var populated: Set<String> = []

    func isAlive(_ owner: LeaseOwner) -> Bool {
        if let g = owner.group { return populated.contains(g) }
        return alive.contains(owner) || alive.contains(LeaseOwner(pid: owner.pid, startTime: owner.startTime))
            || owner.supervisor.map { alive.contains(LeaseOwner(pid: $0.pid, startTime: $0.startTime)) } == true
    }
    func group(of pid: Int32) -> String? { groups[pid] }
    func availability(_ port: UInt16) -> PortAvailability {
        probed.append(port)
        if let (holder, pids) = busy[port] { return .busy(holder: holder, pids: pids) }
        return .free
    }
    func ancestors(of pid: Int32) -> [Int32] {
        var chain: [Int32] = []
        var p = parents[pid]
        while let current = p { chain.append(current); p = parents[current] }
        return chain
    }
    /// Every busy port here has a listener.
    func isListening(_ port: UInt16) -> Bool { busy[port] != nil }
    func hold(_ port: UInt16, by name: String, pid: Int32) { busy[port] = ("\(name) (pid \(pid))", [pid]) }
}

@Suite("Lease policy (pure)")
struct LeasePoolTests {
    let pool = LeasePool(range: PortRange(uncheckedFirst: 5000, last: 5003))

    @Test("a new service gets the first free port, with the default TTL")
    func firstFree() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        let g = try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        #expect(g.lease.port == 5000 && g.reason == .pool)
        #expect(g.lease.expires == env.now + LeasePool.defaultTTL)
        #expect(book.leases == [g.lease])
        #expect(book.lastUsed["web"] == 5000)
        #expect(env.probed == [5000])  // the first free port is the first one probed
    }

    @Test("a full pool of 1,024 ports: the message names five holders, then how many more")
    func exhaustedBriefly() throws {
        let wide = LeasePool(range: PortRange(uncheckedFirst: 20000, last: 21023))
        let env = FakeEnvironment()
        for p in wide.range.ports { env.hold(p, by: "srv", pid: Int32(p)) }
        var book = LeaseBook()
        #expect { try wide.grant(LeaseRequest(service: "web"), in: &book, env: env) } throws: { e in
            let text = "\(e)"
            return text.contains("20004 busy: srv (pid 20004) and 1019 more)") && !text.contains("20005") && text.utf8.count < 300
        }
    }

    @Test("asking again renews the same port and extends its lifetime")
    func renewal() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        _ = try pool.grant(LeaseRequest(service: "api"), in: &book, env: env)
        env.now += 100
        let g = try pool.grant(LeaseRequest(service: "web", ttl: 50), in: &book, env: env)
        #expect(g.lease.port == 5000 && g.reason == .renewed)
        #expect(g.lease.expires == env.now + 50)
        #expect(book.leases.count == 2)
    }

    @Test("the preferred port comes before the last-used one")
    func preferred() throws {
        let env = FakeEnvironment()
        var book = LeaseBook(lastUsed: ["web": 5001])
        let g = try pool.grant(LeaseRequest(service: "web", preferred: 5002), in: &book, env: env)
        #expect(g.lease.port == 5002 && g.reason == .preferred)
    }

    @Test("a busy preferred port is skipped, saying who holds it; then the last-used port")
    func preferredBusy() throws {
        let env = FakeEnvironment()
        env.hold(5002, by: "python3", pid: 4242)
        var book = LeaseBook(lastUsed: ["web": 5001])
        let g = try pool.grant(LeaseRequest(service: "web", preferred: 5002), in: &book, env: env)
        #expect(g.lease.port == 5001 && g.reason == .lastUsed)
        #expect(g.skipped == [.held(port: 5002, holder: "python3 (pid 4242)", pids: [4242])])
        #expect(env.probed == [5002, 5001])
    }

    @Test("after a release the service gets its port back")
    func lastUsedAfterRelease() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "a"), in: &book, env: env)
        let b = try pool.grant(LeaseRequest(service: "b"), in: &book, env: env)
        _ = try pool.release("b", in: &book, env: env)
        _ = try pool.release("a", in: &book, env: env)
        let again = try pool.grant(LeaseRequest(service: "b"), in: &book, env: env)
        #expect(again.lease.port == b.lease.port && again.reason == .lastUsed)
    }

    @Test("the pool scan spares ports other services used last, until nothing else is left")
    func affinity() throws {
        let env = FakeEnvironment()
        var book = LeaseBook(lastUsed: ["old": 5000, "older": 5001])
        #expect(try pool.grant(LeaseRequest(service: "new"), in: &book, env: env).lease.port == 5002)
        #expect(try pool.grant(LeaseRequest(service: "new2"), in: &book, env: env).lease.port == 5003)
        #expect(try pool.grant(LeaseRequest(service: "new3"), in: &book, env: env).lease.port == 5000)
    }

    @Test("a foreign listener is skipped and reported")
    func foreignSkipped() throws {
        let env = FakeEnvironment()
        env.hold(5000, by: "node", pid: 7712)
        var book = LeaseBook()
        let g = try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        #expect(g.lease.port == 5001)
        #expect(g.skipped == [.held(port: 5000, holder: "node (pid 7712)", pids: [7712])])
        #expect(g.skipped.map(\.description) == ["5000 busy: node (pid 7712)"])
    }

    @Test("a port leased to another name is never handed out, even if it binds")
    func noDoubleGrant() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        var ports = Set<UInt16>()
        for i in 0..<3 { ports.insert(try pool.grant(LeaseRequest(service: "s\(i)"), in: &book, env: env).lease.port) }
        #expect(ports == [5000, 5001, 5002])
        // Another service preferring a leased port does not get it, though
        // the port binds: it gets the one port left.
        let x = try pool.grant(LeaseRequest(service: "x", preferred: 5000), in: &book, env: env)
        #expect(x.lease.port == 5003 && x.reason == .pool)
        #expect(x.skipped.isEmpty)  // leased to another name is not a foreign holder
    }

    @Test("pool exhausted: one error listing who holds each port, exit 69")
    func exhausted() throws {
        let env = FakeEnvironment()
        env.hold(5001, by: "python3", pid: 42)
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "a"), in: &book, env: env)
        _ = try pool.grant(LeaseRequest(service: "b"), in: &book, env: env)
        _ = try pool.reserve(5003, for: "c", in: &book, env: env)
        do {
            _ = try pool.grant(LeaseRequest(service: "d"), in: &book, env: env)
            Issue.record("expected exhaustion")
        } catch {
            #expect(error.exitCode == 69)
            guard case .poolExhausted(_, let obstacles) = error else { Issue.record("wrong error \(error)"); return }
            #expect(obstacles == [.leased(port: 5000, to: "a", kind: .lease), .held(port: 5001, holder: "python3 (pid 42)", pids: [42]),
                                  .leased(port: 5002, to: "b", kind: .lease), .leased(port: 5003, to: "c", kind: .reservation)])
        }
    }

    @Test("a lease bound to a process ends when the process dies")
    func expiryByDeadPid() throws {
        let env = FakeEnvironment()
        let owner = LeaseOwner(pid: 100, startTime: 5)
        env.alive = [owner]
        var book = LeaseBook()
        let g = try pool.grant(LeaseRequest(service: "web", owner: owner), in: &book, env: env)
        #expect(g.lease.expires == nil)
        env.now += 10 * LeasePool.defaultTTL
        #expect(LeasePolicy.status(of: book.leases[0], env: env) == .active)
        env.alive = []
        #expect(LeasePolicy.status(of: book.leases[0], env: env) == .expired)
        let expired = pool.reap(&book, env: env)
        #expect(expired.map(\.service) == ["web"])
        #expect(book.leases.isEmpty && book.lastUsed["web"] == g.lease.port)
    }

    @Test("a reused pid (same number, other start time) does not keep the lease")
    func expiryByReusedPid() throws {
        let env = FakeEnvironment()
        env.alive = [LeaseOwner(pid: 100, startTime: 999)]  // pid 100 is now someone else
        let lease = Lease(service: "web", port: 5000, kind: .lease, granted: 0, owner: LeaseOwner(pid: 100, startTime: 5))
        #expect(LeasePolicy.isExpired(lease, env: env))
    }

    @Test("a TTL lease expires at its time, unless its port is in use then (renewed)")
    func expiryByTTL() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "web", ttl: 60), in: &book, env: env)
        _ = try pool.grant(LeaseRequest(service: "api", ttl: 60), in: &book, env: env)
        env.now += 59
        #expect(pool.reap(&book, env: env).isEmpty)
        env.now += 1
        env.hold(5001, by: "api-server", pid: 9)
        let expired = pool.reap(&book, env: env)
        #expect(expired.map(\.service) == ["web"])
        #expect(book.lease(for: "api")?.expires == env.now + 60)
    }

    @Test("reservations never expire and are renewed in place")
    func reservations() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        let r = try pool.reserve(5002, for: "db", in: &book, env: env)
        #expect(r.kind == .reservation && r.expires == nil)
        env.now += 1_000_000
        #expect(pool.reap(&book, env: env).isEmpty)
        #expect(try pool.grant(LeaseRequest(service: "db"), in: &book, env: env).lease.port == 5002)
        #expect(book.lease(for: "db")?.kind == .reservation)
    }

    @Test("a reservation is refused on a port held by a foreign process or leased to another")
    func reserveRefused() throws {
        let env = FakeEnvironment()
        env.hold(5001, by: "ruby", pid: 77)
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        #expect(throws: PortKitError.portUnavailable(.held(port: 5001, holder: "ruby (pid 77)", pids: [77]))) {
            try pool.reserve(5001, for: "db", in: &book, env: env)
        }
        #expect(throws: PortKitError.portUnavailable(.leased(port: 5000, to: "web", kind: .lease))) {
            try pool.reserve(5000, for: "db", in: &book, env: env)
        }
        #expect(throws: PortKitError.outsidePool(port: 6000, range: pool.range, reserving: true)) {
            try pool.reserve(6000, for: "db", in: &book, env: env)
        }
    }

    @Test("reserving moves the service's lease to the reserved port")
    func reserveMoves() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        _ = try pool.reserve(5003, for: "web", in: &book, env: env)
        #expect(book.leases.map(\.port) == [5003])
    }

    @Test("the leaseholder listening on its port is a renewal; a stranger there is refused or skipped")
    func holderRenewal() throws {
        let env = FakeEnvironment()
        let owner = LeaseOwner(pid: 100, startTime: 5)
        env.alive = [owner]
        env.parents = [101: 100]
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "web", owner: owner), in: &book, env: env)
        env.hold(5000, by: "worker", pid: 101)  // a child of the owner listens
        #expect(try pool.grant(LeaseRequest(service: "web"), in: &book, env: env).lease.port == 5000)
        env.hold(5000, by: "intruder", pid: 555)
        // The owner is alive: its lease is not moved from under it; the asker is told why.
        #expect(throws: PortKitError.boundLeaseBlocked(service: "web", obstacle: .held(port: 5000, holder: "intruder (pid 555)", pids: [555]), pid: 100)) {
            try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        }
        #expect(book.lease(for: "web")?.port == 5000)
        // A lease without an owner process does move, saying what it skipped.
        var other = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "api", preferred: 5000), in: &other, env: FakeEnvironment())
        let g = try pool.grant(LeaseRequest(service: "api"), in: &other, env: env)
        #expect(g.lease.port == 5001 && g.skipped == [.held(port: 5000, holder: "intruder (pid 555)", pids: [555])])
    }

    @Test("a project's lease is told apart by the lease itself, not by its name's text")
    func projectLeaseMessages() throws {
        let env = FakeEnvironment()
        let first = LeaseOwner(pid: 100, startTime: 5), second = LeaseOwner(pid: 200, startTime: 6)
        env.alive = [first, second]
        let shop = LeaseProject(root: "/src/shop", name: "shop@main")
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "api", owner: first, project: shop), in: &book, env: env)
        _ = try pool.grant(LeaseRequest(service: "web", owner: first), in: &book, env: env)
        let again = try #require(throws: PortKitError.self) {
            try pool.grant(LeaseRequest(service: "api", owner: second, project: shop), in: &book, env: env)
        }
        #expect(again == .leasedToRunningProcess(service: "api · shop@main", pid: 100, port: 5000, ofProject: true))
        #expect(again.description.contains("another portdash up"))
        let plain = try #require(throws: PortKitError.self) {
            try pool.grant(LeaseRequest(service: "web", owner: second), in: &book, env: env)
        }
        #expect(plain == .leasedToRunningProcess(service: "web", pid: 100, port: 5001, ofProject: false))
        #expect(plain.description.contains("use another name") && !plain.description.contains("portdash up"))
        // Reserving over a project's lease: released by its port; over a plain one, by its name.
        let overProject = try #require(throws: PortKitError.self) { try pool.reserve(5000, for: "db", in: &book, env: env) }
        #expect(overProject.description.hasSuffix("portdash release 5000"))
        let overPlain = try #require(throws: PortKitError.self) { try pool.reserve(5001, for: "db", in: &book, env: env) }
        #expect(overPlain.description.hasSuffix("portdash release web"))
    }

    @Test("a lease bound to a live process is not taken over or moved by another asker")
    func liveOwnerKeepsLease() throws {
        let env = FakeEnvironment()
        let first = LeaseOwner(pid: 100, startTime: 5), second = LeaseOwner(pid: 200, startTime: 6)
        env.alive = [first, second]
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "web", owner: first), in: &book, env: env)
        // A second `run web`: refused, the first keeps its lease.
        #expect(throws: PortKitError.leasedToRunningProcess(service: "web", pid: 100, port: 5000)) {
            try pool.grant(LeaseRequest(service: "web", owner: second), in: &book, env: env)
        }
        #expect(book.lease(for: "web")?.owner == first)
        // `lease web` without --pid reads the port back, owner unchanged.
        let g = try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        #expect(g.lease.port == 5000 && g.lease.owner == first)
        // Its port held by a stranger: refused, not moved.
        env.hold(5000, by: "intruder", pid: 555)
        #expect(throws: PortKitError.boundLeaseBlocked(service: "web", obstacle: .held(port: 5000, holder: "intruder (pid 555)", pids: [555]), pid: 100)) {
            try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        }
        #expect(book.lease(for: "web")?.port == 5000)
        // Once the owner is gone, a new asker gets a port as usual.
        env.alive = [second]
        #expect(try pool.grant(LeaseRequest(service: "web", owner: second), in: &book, env: env).lease.port == 5001)
    }

    @Test("a reserved port held by a foreign process is an error, not a grant")
    func reservedButHeld() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        _ = try pool.reserve(5002, for: "db", in: &book, env: env)
        env.hold(5002, by: "postgres", pid: 99)
        #expect(throws: PortKitError.reservationBlocked(service: "db", obstacle: .held(port: 5002, holder: "postgres (pid 99)", pids: [99]))) {
            try pool.grant(LeaseRequest(service: "db"), in: &book, env: env)
        }
    }

    @Test("hostile numbers saturate instead of trapping")
    func saturating() throws {
        let env = FakeEnvironment()
        env.now = Int64.max - 10
        var book = LeaseBook()
        let g = try pool.grant(LeaseRequest(service: "web", ttl: LeaseBook.maxTTL), in: &book, env: env)
        #expect(g.lease.expires == Int64.max)
    }

    @Test("release by name or port; an unknown one is a clear error")
    func release() throws {
        let env = FakeEnvironment()
        var book = LeaseBook()
        _ = try pool.grant(LeaseRequest(service: "web"), in: &book, env: env)
        _ = try pool.grant(LeaseRequest(service: "api"), in: &book, env: env)
        #expect(try pool.release("5001", in: &book, env: env).service == "api")
        #expect(try pool.release("web", in: &book, env: env).port == 5000)
        #expect(book.leases.isEmpty)
        #expect(throws: PortKitError.noSuchLease("\"nope\"")) { try pool.release("nope", in: &book, env: env) }
    }

    @Test("a lease a running up holds (its service's, or up's own between runs) is not released; once that up is gone, it is")
    func releaseRefusedWhileUpRuns() throws {
        let env = FakeEnvironment()
        let up = LeaseOwner(pid: 100, startTime: 1)
        let service = LeaseOwner(pid: 200, startTime: 2, supervisor: up.process)
        env.alive = [up, LeaseOwner(pid: 200, startTime: 2)]
        let shop = LeaseProject(root: "/src/shop", name: "shop@main")
        var book = LeaseBook()
        book.leases = [Lease(service: "api", port: 5000, kind: .lease, granted: env.now, owner: service, project: shop),
                       Lease(service: "web", port: 5001, kind: .lease, granted: env.now, owner: up, project: shop),
                       Lease(service: "db", port: 5002, kind: .lease, granted: env.now, owner: LeaseOwner(pid: 300, startTime: 3, supervisor: up.process))]
        env.alive.insert(LeaseOwner(pid: 300, startTime: 3))
        #expect(throws: PortKitError.heldByRunningUp(port: 5000, label: "api · shop@main", service: "api", root: "/src/shop")) {
            try pool.release("5000", in: &book, env: env)
        }
        #expect(throws: PortKitError.heldByRunningUp(port: 5001, label: "web · shop@main", service: "web", root: "/src/shop")) {
            try pool.release("5001", in: &book, env: env)
        }
        #expect(book.leases.count == 3)
        // A lease by name alone (run's) is released as ever, its supervisor running or not.
        #expect(try pool.release("db", in: &book, env: env).port == 5002)
        // The up was killed; its service runs on, left behind: releasable.
        env.alive.remove(up)
        #expect(try pool.release("5000", in: &book, env: env).service == "api")
        #expect(PortKitError.heldByRunningUp(port: 5000, label: "api · shop@main", service: "api", root: "/src/shop").exitCode == 69)
    }

    @Test("bad requests: preferred outside the pool, a bad service name")
    func badRequests() {
        let env = FakeEnvironment()
        var book = LeaseBook()
        #expect(throws: PortKitError.outsidePool(port: 80, range: pool.range, reserving: false)) {
            try pool.grant(LeaseRequest(service: "web", preferred: 80), in: &book, env: env)
        }
        for bad in ["", "a b", "x\u{1B}[31m", "5000", String(repeating: "n", count: 65)] {
            #expect { try pool.grant(LeaseRequest(service: bad), in: &book, env: env) } throws: { error in
                guard case .invalidName = error as? PortKitError else { return false }
                return (error as? PortKitError)?.exitCode == 64
            }
        }
        #expect(book.leases.isEmpty)
    }
}
