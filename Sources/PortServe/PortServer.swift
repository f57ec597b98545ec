import NIOCore
import NIOHTTP1
import NIOPosix
import PortKit
import Glibc

/// `portdash serve`: the read-only HTTP service of what `status` and
/// `leases` know, and the router of `.localhost` names to leased ports.
/// One refresh loop; SwiftNIO's event loops (ServeLimits.eventLoops threads),
/// each client connection and its upstreams on one loop; everything bounded
/// by ServeLimits.
public struct PortServer: Sendable {
    public let listen: ListenAddress
    public let range: PortRange
    public let store: LeaseStore
    public let interval: Double
    public let limits: ServeLimits

    public init(listen: ListenAddress, range: PortRange, store: LeaseStore, interval: Double, limits: ServeLimits = ServeLimits()) {
        self.listen = listen
        self.range = range
        self.store = store
        self.interval = interval
        self.limits = limits
    }

    /// Opens the listening socket (the only step that can fail).
    public func bind() throws(ServeError) -> Int32 { try ListenSocket.open(listen) }

    /// Refreshes once, calls `ready`, then serves on the listening sockets
    /// `fds` until the task is cancelled; false (at once) if the event loop
    /// cannot be set up.
    @discardableResult
    public func serve(on fds: [Int32], ready: @Sendable () -> Void) async -> Bool {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: limits.eventLoops)
        let queue = RefreshQueue(store: store, range: range, routerPort: listen.port)
        let view = LiveView()
        let routes = RouteBox()
        let hub = EventHub(limit: limits.subscribers, queue: limits.subscriberQueue)
        let refresh = RefreshLoop(queue: queue, view: view, hub: hub, routes: routes, interval: interval)
        let first = await refresh.tick(previous: nil)
        let endpoints = Endpoints(view: view, scopes: ScopeCache(queue: queue, maxAge: interval, limit: limits.cachedScopes),
                                  hub: hub, names: routes, routerPort: listen.port, limits: limits, interval: interval)
        let limits = self.limits
        var pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>] = [:]
        for loop in group.makeIterator() {
            let made = loop.submit {
                NIOLoopBound(UpstreamPool(loop: loop, perTarget: limits.upstreamPoolSize, idleSeconds: limits.upstreamIdleSeconds,
                                          connectSeconds: limits.connectSeconds), eventLoop: loop)
            }
            guard let pool = try? await made.get() else { return false }
            pools[ObjectIdentifier(loop)] = pool
        }
        let shared = ServeShared(endpoints: endpoints, hosts: HostPolicy(listen: listen), routes: routes, limits: limits,
                                 listenPort: listen.port, pools: pools)
        let gate = ConnectionGate(limits: limits)
        var servers: [Channel] = []
        for fd in fds {
            do {
                servers.append(try await PortServer.bootstrap(group: group, shared: shared, gate: gate).withBoundSocket(fd).get())
            } catch {
                close(fd)
            }
        }
        guard servers.count == fds.count else {
            for s in servers { try? await s.close() }
            try? await group.shutdownGracefully()
            return false
        }
        await withDiscardingTaskGroup { tasks in
            tasks.addTask { await refresh.run(from: first) }
            tasks.addTask { [limits] in await PortServer.heartbeat(hub, every: limits.heartbeatSeconds) }
            ready()
        }
        for s in servers { try? await s.close() }
        await hub.finishAll()
        try? await group.shutdownGracefully()
        return true
    }

    static func bootstrap(group: EventLoopGroup, shared: ServeShared, gate: ConnectionGate) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                let admission = gate.admit()
                channel.closeFuture.whenComplete { _ in gate.leave(admission) }
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    var limits = shared.limits
                    if admission == .drop { throw ChannelError.ioOnClosedChannel }
                    if admission == .refuse { limits.headSeconds = min(2, limits.headSeconds) }
                    let headGuard = HeadGuard(limits: limits)
                    try pipeline.addHandler(headGuard)
                    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
                    decoderLimits.maxHeaderListSize = limits.headBytes
                    decoderLimits.maxHeaderFieldSize = limits.headBytes
                    decoderLimits.maxHeaderFieldCount = limits.headerLines
                    try pipeline.configureHTTPServerPipeline(withErrorHandling: false, withEncoderConfiguration: .init(),
                                                             withDecoderLimitConfiguration: decoderLimits)
                    if admission == .refuse {
                        try pipeline.addHandler(Refusal(limits: limits, headGuard: headGuard))
                    } else {
                        try pipeline.addHandler(ConnectionHandler(shared: shared, headGuard: headGuard))
                    }
                }
            }
    }

    static func heartbeat(_ hub: EventHub, every seconds: Double) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            await hub.publish(RefreshLoop.heartbeat)
        }
    }
}

/// A connection over `limits.connections`: its request head is read (so
/// the answer is not lost to a reset), answered 503, and closed.
final class Refusal: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let limits: ServeLimits
    let headGuard: HeadGuard
    init(limits: ServeLimits, headGuard: HeadGuard) { self.limits = limits; self.headGuard = headGuard }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head = unwrapInboundIn(data) else { return }
        headGuard.stop()
        let r = Response.error(503, "too many connections (at most \(limits.connections)); try again later")
        context.write(wrapOutboundOut(.head(r.head(close: true))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: r.body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
