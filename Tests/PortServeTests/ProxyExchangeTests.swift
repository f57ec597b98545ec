import NIOCore
import NIOEmbedded
import NIOHTTP1
import PortKit
import PortKitTestSupport
import Testing
@testable import PortServe

/// The exchange's state machine (ProxyHandler.Phase), transition by
/// transition: the client side an EmbeddedChannel with the ProxyHandler,
/// the upstream an EmbeddedChannel with the real HTTP/1.1 client codec,
/// dialled when the test says so, both on one EmbeddedEventLoop.
@Suite("the proxy exchange, transition by transition, on EmbeddedChannels")
struct ProxyExchangeTests {
    /// Counts the read() calls that got past the ProxyHandler (it sits below it).
    final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = NIOAny
        var reads = 0
        func read(context: ChannelHandlerContext) { reads += 1; context.read() }
    }

    final class Rig {
        let loop = EmbeddedEventLoop()
        let dir = TestSupport.temporaryDirectory("proxy-exchange")
        let client: EmbeddedChannel
        let proxy: ProxyHandler
        let counter = ReadCounter()
        var dials: [EventLoopPromise<Upstream>] = []
        let target = Upstream.Target(host: "127.0.0.1", port: 5001)
        let route = RouteNames(leases: [Lease(service: "app", port: 5001, kind: .reservation, granted: 1)]).routes[0]
        var limits = ServeLimits()

        init(answerSeconds: Double = 60) throws {
            limits.answerSeconds = answerSeconds
            let queue = RefreshQueue(store: LeaseStore(path: dir + "/leases.json"), range: PortRange(uncheckedFirst: 5001, last: 5002))
            let routes = RouteBox()
            let endpoints = Endpoints(view: LiveView(), scopes: ScopeCache(queue: queue, maxAge: 1, limit: 2), hub: EventHub(limit: 1, queue: 1),
                                      names: routes, router: RouterAddress(port: 5099), limits: limits, interval: 1)
            var rig: Rig?
            let pool = UpstreamPool(loop: loop, perTarget: 4, idleSeconds: 30, connectSeconds: 5) { [loop] _ in
                let p = loop.makePromise(of: Upstream.self)
                rig?.dials.append(p)
                return p.futureResult
            }
            let shared = ServeShared(endpoints: endpoints, hosts: HostPolicy(listen: try ListenAddress(parsing: "127.0.0.1:5099")), routes: routes,
                                     limits: limits, ownPorts: [5099], pools: [ObjectIdentifier(loop): NIOLoopBound(pool, eventLoop: loop)])
            proxy = ProxyHandler(shared: shared, place: ConnectionPlace(origin: .http(5099), headGuard: HeadGuard(limits: limits)))
            client = EmbeddedChannel(loop: loop)
            try client.pipeline.syncOperations.addHandlers([counter, proxy])
            try client.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40000)).wait()
            rig = self
        }

        deinit { TestSupport.removeTree(dir) }

        func request(method: HTTPMethod = .GET, uri: String = "/x", version: HTTPVersion = .http1_1, headers: [(String, String)] = [],
                     keepAlive: Bool = true, end: Bool = true) throws {
            let head = HTTPRequestHead(version: version, method: method, uri: uri, headers: HTTPHeaders([("Host", "app.localhost")] + headers))
            try client.writeInbound(RoutedPart.head(RoutedRequest(head: head, targets: [target], route: route, wantsHTML: false, keepAlive: keepAlive)))
            if end { try client.writeInbound(RoutedPart.end(nil)) }
        }

        /// Completes the last dial with a new upstream connection (HTTP/1.1 codec on an EmbeddedChannel).
        func connectUpstream() throws -> EmbeddedChannel {
            let channel = EmbeddedChannel(loop: loop)
            let upstream = try Upstream.configure(channel, target: target)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 5001)).wait()
            try #require(dials.last).succeed(upstream)
            return channel
        }

        /// What the upstream got, as text.
        func sent(_ upstream: EmbeddedChannel) throws -> String {
            var out = ""
            while let b = try upstream.readOutbound(as: IOData.self) {
                if case .byteBuffer(let buffer) = b { out += String(buffer: buffer) }
            }
            return out
        }

        func answer(_ upstream: EmbeddedChannel, _ text: String) throws {
            try upstream.writeInbound(upstream.allocator.buffer(string: text))
        }

        /// What the client got, in order.
        func received() throws -> [HTTPServerResponsePart] {
            var parts: [HTTPServerResponsePart] = []
            while let p = try client.readOutbound(as: HTTPServerResponsePart.self) { parts.append(p) }
            return parts
        }
    }

    static func status(_ parts: [HTTPServerResponsePart]) -> Int? {
        if case .head(let h)? = parts.first { return Int(h.status.code) }
        return nil
    }

    @Test("idle → connecting (reads held) → forwarding (head sent, reads resume) → idle (upstream kept for the next request)")
    func happyPath() throws {
        let rig = try Rig()
        #expect(rig.proxy.phase == .idle)
        try rig.request(headers: [("X-Forwarded-For", "6.6.6.6")])
        #expect(rig.proxy.phase == .connecting && rig.dials.count == 1)
        rig.client.read()
        #expect(rig.counter.reads == 0)  // nowhere to put what the client sends yet
        let up = try rig.connectUpstream()
        #expect(rig.proxy.phase == .forwarding && rig.counter.reads == 1)
        let request = try rig.sent(up)
        #expect(request.hasPrefix("GET /x HTTP/1.1\r\n") && request.contains("Via: 1.1 portdash") && request.contains("X-Forwarded-For: 127.0.0.1"))
        #expect(!request.contains("6.6.6.6"))
        try rig.answer(up, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        let parts = try rig.received()
        #expect(Self.status(parts) == 200 && parts.count == 3)
        #expect(rig.proxy.phase == .idle && rig.client.isActive && up.isActive)
        // The next request to the same port goes on the same upstream connection: no new dial.
        try rig.request()
        #expect(rig.proxy.phase == .forwarding && rig.dials.count == 1)
        #expect(try rig.sent(up).hasPrefix("GET /x HTTP/1.1\r\n"))
    }

    @Test("connecting → closing: a refused connection is answered 502 and the client closed")
    func refused() throws {
        let rig = try Rig()
        try rig.request()
        try #require(rig.dials.last).fail(IOError(errnoCode: 111, reason: "connect"))
        let parts = try rig.received()
        #expect(Self.status(parts) == 502 && rig.proxy.phase == .closing)
        rig.loop.run()
        #expect(!rig.client.isActive)
    }

    @Test("forwarding → closing: a 101 to a request that asked for no upgrade is 502, the upstream closed")
    func unsolicitedSwitch() throws {
        let rig = try Rig()
        try rig.request()
        let up = try rig.connectUpstream()
        try rig.answer(up, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\nraw")
        let parts = try rig.received()
        #expect(Self.status(parts) == 502 && rig.proxy.phase == .closing)
        rig.loop.run()
        #expect(!up.isActive)
    }

    @Test("forwarding → switching → upgraded: a 101 to an upgrade request glues the two byte streams")
    func upgrade() throws {
        let rig = try Rig()
        try rig.request(uri: "/ws", headers: [("Connection", "Upgrade"), ("Upgrade", "websocket")], keepAlive: true)
        let up = try rig.connectUpstream()
        #expect(try rig.sent(up).contains("Upgrade: websocket"))
        try rig.answer(up, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nfirst frame")
        #expect(rig.proxy.phase == .upgraded)
        #expect(Self.status(try rig.received()) == 101)
        #expect((try? rig.client.pipeline.syncOperations.handler(type: GlueHandler.self)) != nil)
        #expect((try? rig.client.pipeline.syncOperations.handler(type: ProxyHandler.self)) == nil)
        // The bytes that came with the 101 and after it go to the client as they are, and back.
        rig.loop.run()
        let frame = try #require(try rig.client.readOutbound(as: ByteBuffer.self))
        #expect(String(buffer: frame) == "first frame")
        try rig.client.writeInbound(rig.client.allocator.buffer(string: "to the upstream"))
        #expect(try rig.sent(up) == "to the upstream")
    }

    @Test("forwarding → closing: an upstream that hangs up unanswered is 502 saying so")
    func hangUp() throws {
        let rig = try Rig()
        try rig.request()
        let up = try rig.connectUpstream()
        _ = try up.close().wait()
        rig.loop.run()
        let parts = try rig.received()
        #expect(Self.status(parts) == 502 && rig.proxy.phase == .closing)
        guard case .body(.byteBuffer(let b))? = parts.dropFirst().first else { Issue.record("no body"); return }
        #expect(String(buffer: b).contains("closed the connection without answering"))
    }

    @Test("forwarding → closing: no answer within answerSeconds is 504")
    func answerTimeout() throws {
        let rig = try Rig(answerSeconds: 5)
        try rig.request()
        let up = try rig.connectUpstream()
        rig.loop.advanceTime(by: .seconds(4))
        #expect(rig.proxy.phase == .forwarding)
        rig.loop.advanceTime(by: .seconds(2))
        #expect(Self.status(try rig.received()) == 504 && rig.proxy.phase == .closing)
        #expect(!up.isActive)
    }

    @Test("an HTTP/1.0 client: the head in 1.0, no 1xx, and a body without a length ends with the connection")
    func http10() throws {
        let rig = try Rig()
        try rig.request(version: .http1_0, keepAlive: true)
        let up = try rig.connectUpstream()
        try rig.answer(up, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n")
        let parts = try rig.received()
        guard case .head(let h)? = parts.first else { Issue.record("no head"); return }
        #expect(h.status == .ok && h.version == .http1_0 && h.headers["connection"] == ["close"] && h.headers["transfer-encoding"].isEmpty)
        #expect(rig.proxy.phase == .closing)
    }

    @Test("reads wait while the upstream cannot take more, and resume when it can")
    func readGating() throws {
        let rig = try Rig()
        try rig.request(method: .POST, headers: [("Content-Length", "4")], end: false)
        let up = try rig.connectUpstream()
        let before = rig.counter.reads
        up.isWritable = false
        rig.client.read()
        #expect(rig.counter.reads == before)
        up.isWritable = true
        up.pipeline.fireChannelWritabilityChanged()
        #expect(rig.counter.reads == before + 1)
    }
}
