import Testing
@testable import PortKit
@testable import PortServe

@Suite("serve's rules: listen addresses, Host names, subscribers, metrics")
struct ServePolicyTests {
    @Test("--listen: IPv4, bracketed IPv6, localhost, a bare port; loopback or not")
    func listen() throws {
        let v4 = try ListenAddress(parsing: "127.0.0.1:5099")
        #expect(!v4.ipv6 && v4.port == 5099 && v4.isLoopback && v4.description == "127.0.0.1:5099")
        let v6 = try ListenAddress(parsing: "[::1]:8080")
        #expect(v6.ipv6 && v6.isLoopback && v6.description == "[::1]:8080" && v6.hostName == "[::1]")
        #expect(try ListenAddress(parsing: "localhost:1").host == "127.0.0.1")
        #expect(try ListenAddress(parsing: "6000") == ListenAddress(ipv6: false, host: "127.0.0.1", port: 6000))
        #expect(try ListenAddress(parsing: "127.1.2.3:80").isLoopback)
        #expect(try !ListenAddress(parsing: "0.0.0.0:80").isLoopback)
        #expect(try !ListenAddress(parsing: "[::]:80").isLoopback)
        #expect(try !ListenAddress(parsing: "192.168.1.5:80").isLoopback)
        for bad in ["::1:80", "[::1]", "127.0.0.1:0", "127.0.0.1:70000", "host.example:80", "nonsense", ""] {
            #expect(throws: ServeError.self, "\(bad)") { try ListenAddress(parsing: bad) }
        }
    }

    @Test("Host: loopback names and the listen address, with no port or the listen port")
    func hosts() throws {
        let policy = HostPolicy(listen: try ListenAddress(parsing: "[::1]:5099"))
        for ok in ["localhost", "LocalHost:5099", "127.0.0.1", "127.0.0.1:5099", "[::1]", "[::1]:5099"] {
            #expect(policy.allows(ok), "\(ok)")
        }
        for bad in ["evil.example", "localhost.evil.example", "localhost:80", "127.0.0.2", "[::1]:1", "", "::1"] {
            #expect(!policy.allows(bad), "\(bad)")
        }
        func head(_ hosts: [String]) -> RequestHead {
            RequestHead(method: "GET", path: "/", query: "", version: "HTTP/1.1", headers: hosts.map { ("Host", $0) })
        }
        #expect(policy.refusal(head([]))?.status == 400)
        #expect(policy.refusal(head(["localhost", "localhost"]))?.status == 400)
        #expect(policy.refusal(head(["evil.example"]))?.status == 421)
        #expect(policy.refusal(head(["localhost"])) == nil)
    }

    @Test("a subscriber that never reads is dropped when its queue is full; the others keep theirs")
    func boundedQueues() async throws {
        let hub = EventHub(limit: 2, queue: 3)
        let stalled = try #require(await hub.subscribe())
        let reader = try #require(await hub.subscribe())
        #expect(await hub.subscribe() == nil)
        var frames = reader.frames.makeAsyncIterator()
        for i in 0..<5 {
            await hub.publish("frame \(i)")
            #expect(await frames.next() == "frame \(i)")
        }
        #expect(await hub.dropped == 1)
        #expect(await hub.count == 1)
        var left: [String] = []
        for await f in stalled.frames { left.append(f) }
        #expect(left == ["frame 0", "frame 1", "frame 2"])
        #expect(await hub.subscribe() != nil)
    }

    @Test("/metrics: every port in every state, holders, leases by status, HELP and TYPE for each family")
    func metrics() {
        let socket = TCPSocket(local: Endpoint(family: .ipv4, address: [127, 0, 0, 1], port: 5001),
                               remote: Endpoint(family: .ipv4, address: [0, 0, 0, 0], port: 0), state: .listen, uid: 0, inode: 9)
        let owner = ProcessDetails(pid: 42, ppid: 1, name: "node", uid: 0, user: "root", cmdline: ["node"], startTime: 1)
        let ports = [
            PortReport(port: 5000, state: .free, lease: nil, leaseStatus: nil, sockets: [], probe: ProbeResult(ipv4: .free, ipv6: .free), note: nil),
            PortReport(port: 5001, state: .foreign, lease: nil, leaseStatus: nil, sockets: [SocketReport(socket: socket, owners: [owner], refs: [])],
                       probe: ProbeResult(ipv4: .inUse, ipv6: .free), note: nil),
        ]
        var state = PoolState()
        state.refresh = Refresh(snapshot: PortSnapshot(range: PortRange(uncheckedFirst: 5000, last: 5001), ports: ports, takenAt: 1, unreadablePids: 0),
                                damage: nil, seconds: 0.25, warnings: [])
        state.refreshes = 7
        state.leases = .success(LeaseView(json: "{}", counts: [.active: 2]))
        let text = MetricsText(state: state, subscribers: 3, dropped: 0).render()
        let lines = Set(text.split(separator: "\n").map(String.init))
        for expected in ["portdash_port_state{port=\"5001\",state=\"foreign\"} 1", "portdash_port_state{port=\"5001\",state=\"free\"} 0",
                         "portdash_port_state{port=\"5000\",state=\"free\"} 1", "portdash_port_holders{port=\"5001\"} 1",
                         "portdash_port_holders{port=\"5000\"} 0", "portdash_leases{status=\"active\"} 2", "portdash_leases{status=\"reserved\"} 0",
                         "portdash_scan_duration_seconds 0.25", "portdash_refreshes_total 7", "portdash_event_subscribers 3",
                         "# TYPE portdash_refreshes_total counter", "# TYPE portdash_port_state gauge"] {
            #expect(lines.contains(expected), "\(expected)")
        }
        #expect(text.split(separator: "\n").filter { $0.hasPrefix("portdash_port_state{") }.count == 8)
        #expect(lines.filter { $0.hasPrefix("# HELP ") }.count == lines.filter { $0.hasPrefix("# TYPE ") }.count)
    }

    @Test("an event as /events sends it: SSE framing, the JSON writer's escaping")
    func eventFrame() {
        let e = PortEvent(port: 5003, kind: .taken, text: "5003 now held by evil\u{1B}[2J (pid 7)", state: .foreign, service: nil, pids: [7])
        let frame = RefreshLoop.frame(e, time: 1795760000)
        #expect(frame == "event: port\ndata: {\"port\":5003,\"kind\":\"taken\",\"state\":\"foreign\",\"service\":null,\"pids\":[7],"
                + "\"text\":\"5003 now held by evil\\u001b[2J (pid 7)\",\"time\":1795760000}\n\n")
    }
}
