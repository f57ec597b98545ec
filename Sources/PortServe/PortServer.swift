import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
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
    /// The HTTPS listeners' addresses (--tls-listen), and who signs their certificates.
    public var tlsListen: [ListenAddress] = []
    public var issuer: (any CertificateIssuer)?

    public init(listen: ListenAddress, range: PortRange, store: LeaseStore, interval: Double, limits: ServeLimits = ServeLimits()) {
        self.listen = listen
        self.range = range
        self.store = store
        self.interval = interval
        self.limits = limits
    }

    /// Opens the listening socket (the only step that can fail).
    public func bind() throws(ServeError) -> Int32 { try ListenSocket.open(listen) }

    /// One listening socket and what it speaks.
    public struct Socket: Sendable {
        public let fd: Int32
        public let port: UInt16
        public let tls: Bool
        public init(fd: Int32, port: UInt16, tls: Bool) { self.fd = fd; self.port = port; self.tls = tls }
    }

    /// Refreshes once, calls `ready`, then serves on the listening sockets
    /// `fds` (plain HTTP) and `tls` (HTTPS, with `issuer`) until the task is
    /// cancelled; false (at once) if the event loop cannot be set up.
    @discardableResult
    public func serve(on fds: [Int32], tls: [Socket] = [], ready: @Sendable () -> Void) async -> Bool {
        await serve(fds.map { Socket(fd: $0, port: listen.port, tls: false) } + tls, ready: ready)
    }

    @discardableResult
    public func serve(_ sockets: [Socket], ready: @Sendable () -> Void) async -> Bool {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: limits.eventLoops)
        // The URLs serve's pages and JSON give: the rule of RouterAddress.current
        // (its TLS port when it has one, else its HTTP port), for itself.
        let router = RouterAddress(port: sockets.first(where: \.tls)?.port ?? listen.port, tls: sockets.contains(where: \.tls))
        let queue = RefreshQueue(store: store, range: range, router: router)
        let view = LiveView()
        let routes = RouteBox()
        let hub = EventHub(limit: limits.subscribers, queue: limits.subscriberQueue)
        let refresh = RefreshLoop(queue: queue, view: view, hub: hub, routes: routes, interval: interval)
        let first = await refresh.tick(previous: nil)
        let endpoints = Endpoints(view: view, scopes: ScopeCache(queue: queue, maxAge: interval, limit: limits.cachedScopes),
                                  hub: hub, names: routes, router: router, limits: limits, interval: interval)
        guard let pools = await PortServer.pools(group, limits: limits) else { return false }
        let shared = ServeShared(endpoints: endpoints, hosts: HostPolicy(listen: listen, also: tlsListen), routes: routes, limits: limits,
                                 ownPorts: Set(sockets.map(\.port) + [listen.port]), pools: pools)
        let gate = ConnectionGate(limits: limits)
        var tlsContext: NIOSSLContext?
        if sockets.contains(where: \.tls), let issuer {
            let cache = CertificateCache(issuer: issuer, routes: routes, clock: { Double(Clocks.epochSeconds()) })
            tlsContext = try? TLSContext.make(cache)
        }
        var servers: [Channel] = []
        for socket in sockets {
            let tls = socket.tls ? tlsContext : nil
            if socket.tls && tls == nil { close(socket.fd); continue }
            let origin: RouterOrigin = socket.tls ? .https(socket.port) : .http(socket.port)
            do {
                let redirect = ConnectionPlace.redirect(plainPort: socket.port, tlsPorts: sockets.filter(\.tls).map(\.port))
                let listener = ServeListener(shared: shared, gate: gate, origin: origin, tls: tls, redirect: redirect)
                servers.append(try await listener.bootstrap(group: group).withBoundSocket(socket.fd).get())
            } catch {
                close(socket.fd)
            }
        }
        guard servers.count == sockets.count else {
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

    /// One upstream pool per event loop, made on its loop.
    static func pools(_ group: MultiThreadedEventLoopGroup, limits: ServeLimits) async -> [ObjectIdentifier: NIOLoopBound<UpstreamPool>]? {
        var pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>] = [:]
        for loop in group.makeIterator() {
            let made = loop.submit {
                NIOLoopBound(UpstreamPool(loop: loop, perTarget: limits.upstreamPoolSize, idleSeconds: limits.upstreamIdleSeconds,
                                          connectSeconds: limits.connectSeconds), eventLoop: loop)
            }
            guard let pool = try? await made.get() else { return nil }
            pools[ObjectIdentifier(loop)] = pool
        }
        return pools
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
