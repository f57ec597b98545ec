import NIOCore
import NIOHTTP1
import NIOPosix

/// What an upstream connection tells the client connection it serves.
protocol UpstreamDelegate: AnyObject {
    func upstreamRead(_ part: HTTPClientResponsePart)
    func upstreamReadComplete()
    func upstreamWritabilityChanged(_ writable: Bool)
    func upstreamClosed(_ error: Error?)
}

/// One HTTP/1.1 connection to a leased port: HTTPRequestEncoder and
/// HTTPResponseDecoder (bytes after a 101 kept for the glue), then this
/// handler, which passes what it reads to the client connection that holds
/// it, or closes the connection if it speaks while idle in the pool.
/// Reads are gated as NIO's GlueHandler gates them: `read()` goes down only
/// while the client can take more (`partnerWritable`), else it waits.
/// Used only on its channel's event loop (hence @unchecked Sendable: futures
/// of the pool carry it between callbacks on that loop).
final class Upstream: ChannelDuplexHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    struct Target: Hashable, Sendable, CustomStringConvertible {
        let host: String
        let port: UInt16
        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    let target: Target
    let channel: Channel
    weak var delegate: UpstreamDelegate?
    /// Requests sent on this connection.
    var served = 0
    private var closedError: Error?
    private var context: ChannelHandlerContext?
    /// Whether the client side can take what this side reads.
    private var partnerWritable = true
    private var pendingRead = false

    init(target: Target, channel: Channel) {
        self.target = target
        self.channel = channel
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let delegate { delegate.upstreamRead(part) } else { context.close(promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) { delegate?.upstreamReadComplete() }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(context.channel.isWritable)
    }

    /// The upstream closed its side: its response (if any) has ended (the
    /// decoder said so first); a half-open connection is of no more use.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        closedError = error
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let d = delegate
        delegate = nil
        d?.upstreamClosed(closedError)
    }

    func read(context: ChannelHandlerContext) {
        if partnerWritable { context.read() } else { pendingRead = true }
    }

    func write(_ part: HTTPClientRequestPart) { context?.write(wrapOutboundOut(part), promise: nil) }
    func flush() { context?.flush() }

    /// The client side can (or cannot) take more: reading resumes (or waits).
    func setPartnerWritable(_ writable: Bool) {
        partnerWritable = writable
        if writable, pendingRead {
            pendingRead = false
            context?.read()
        }
    }
}

/// Idle upstream connections, per target: at most `perTarget` kept, each
/// for at most `idleSeconds`. One pool per event loop, used only on it.
final class UpstreamPool {
    typealias Dial = (Upstream.Target) -> EventLoopFuture<Upstream>
    let loop: EventLoop
    let perTarget: Int
    let idleSeconds: Double
    /// How a new connection is made: TCP by default (`tcp`), an EmbeddedChannel in the exchange's tests.
    private let dial: Dial
    private var idle: [Upstream.Target: [(Upstream, Scheduled<Void>)]] = [:]

    init(loop: EventLoop, perTarget: Int, idleSeconds: Double, connectSeconds: Double, dial: Dial? = nil) {
        self.loop = loop
        self.perTarget = perTarget
        self.idleSeconds = idleSeconds
        self.dial = dial ?? { UpstreamPool.tcp($0, loop: loop, connectSeconds: connectSeconds) }
    }

    func acquire(_ target: Upstream.Target) -> EventLoopFuture<Upstream> {
        loop.preconditionInEventLoop()
        while var list = idle[target], let (u, timer) = list.popLast() {
            idle[target] = list
            timer.cancel()
            if u.channel.isActive { return loop.makeSucceededFuture(u) }
        }
        return dial(target)
    }

    /// The first of `targets` that accepts a new connection (never one from the pool).
    func connect(_ targets: [Upstream.Target]) -> EventLoopFuture<Upstream> {
        first(of: targets, dial)
    }

    /// The first of `targets` that gives a connection, idle or new; the last one's error if none does.
    func acquire(any targets: [Upstream.Target]) -> EventLoopFuture<Upstream> {
        first(of: targets) { [self] in acquire($0) }
    }

    private func first(of targets: [Upstream.Target], _ get: @escaping Dial) -> EventLoopFuture<Upstream> {
        guard let head = targets.first else { return loop.makeFailedFuture(ChannelError.connectPending) }
        let rest = Array(targets.dropFirst())
        return get(head).assumeIsolated().flatMapError { [self] error in
            rest.isEmpty ? loop.makeFailedFuture(error) : first(of: rest, get)
        }.nonisolated()
    }

    /// A new TCP connection to `target`, half-closure allowed (the glue after a 101 passes a FIN on).
    static func tcp(_ target: Upstream.Target, loop: EventLoop, connectSeconds: Double) -> EventLoopFuture<Upstream> {
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(connectSeconds * 1e9)))
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try Upstream.configure(channel, target: target) }
            }
            .connect(host: target.host, port: Int(target.port))
            .flatMapThrowing { channel in try channel.pipeline.syncOperations.handler(type: Upstream.self) }
    }

    /// Back into the pool after a complete exchange; closed if the pool is full.
    func release(_ u: Upstream) {
        loop.preconditionInEventLoop()
        u.delegate = nil
        u.setPartnerWritable(true)
        var list = idle[u.target, default: []]
        guard u.channel.isActive, list.count < perTarget else {
            u.channel.close(promise: nil)
            return
        }
        let timer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(Int64(idleSeconds * 1e9))) { [weak self] in
            self?.drop(u)
            u.channel.close(promise: nil)
        }
        list.append((u, timer))
        idle[u.target] = list
        u.channel.closeFuture.assumeIsolated().whenComplete { [weak self] _ in self?.drop(u) }
    }

    private func drop(_ u: Upstream) {
        guard var list = idle[u.target] else { return }
        list.removeAll { $0.0 === u }
        idle[u.target] = list.isEmpty ? nil : list
    }
}

extension Upstream {
    /// addHTTPClientHandlers, less the header validation (the heads written here were
    /// parsed by NIOHTTP1 already), with 1xx answers (100 Continue) passed on to the client.
    @discardableResult
    static func configure(_ channel: Channel, target: Target) throws -> Upstream {
        let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward)
        let upstream = Upstream(target: target, channel: channel)
        try channel.pipeline.syncOperations.addHandlers([HTTPRequestEncoder(), ByteToMessageHandler(decoder), upstream])
        return upstream
    }

    /// The HTTP handlers `configure` added, for the upgrade to take out.
    static func httpHandlers(_ pipeline: ChannelPipeline.SynchronousOperations) -> [RemovableChannelHandler] {
        let handlers: [RemovableChannelHandler?] = [
            try? pipeline.handler(type: HTTPRequestEncoder.self), try? pipeline.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self),
        ]
        return handlers.compactMap { $0 }
    }
}
