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
/// HTTPResponseDecoder (bytes after a 101 kept for the byte glue), then
/// this handler, which passes what it reads to the client connection that
/// holds it, or closes the connection if it speaks while idle in the pool.
/// Used only on its channel's event loop (hence @unchecked Sendable: futures
/// of the pool carry it between callbacks on that loop).
final class Upstream: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
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

    init(target: Target, channel: Channel) {
        self.target = target
        self.channel = channel
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if let delegate { delegate.upstreamRead(part) } else { context.close(promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) { delegate?.upstreamReadComplete() }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        delegate?.upstreamWritabilityChanged(context.channel.isWritable)
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

    func write(_ part: HTTPClientRequestPart) { channel.write(part, promise: nil) }
    func flush() { channel.flush() }
    /// What autoRead was last set to.
    private var reading = true
    func setAutoRead(_ on: Bool) {
        guard on != reading else { return }
        reading = on
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
    }
}

/// Idle upstream connections, per target: at most `perTarget` kept, each
/// for at most `idleSeconds`. One pool per event loop, used only on it.
final class UpstreamPool {
    let loop: EventLoop
    let perTarget: Int
    let idleSeconds: Double
    let connectSeconds: Double
    private var idle: [Upstream.Target: [(Upstream, Scheduled<Void>)]] = [:]

    init(loop: EventLoop, perTarget: Int, idleSeconds: Double, connectSeconds: Double) {
        self.loop = loop
        self.perTarget = perTarget
        self.idleSeconds = idleSeconds
        self.connectSeconds = connectSeconds
    }

    func acquire(_ target: Upstream.Target) -> EventLoopFuture<Upstream> {
        loop.preconditionInEventLoop()
        while var list = idle[target], let (u, timer) = list.popLast() {
            idle[target] = list
            timer.cancel()
            if u.channel.isActive { return loop.makeSucceededFuture(u) }
        }
        return connect(target)
    }

    /// The first of `targets` that accepts a new connection (never one from the pool).
    func connect(_ targets: [Upstream.Target]) -> EventLoopFuture<Upstream> {
        guard let first = targets.first else { return loop.makeFailedFuture(ChannelError.connectPending) }
        let rest = Array(targets.dropFirst())
        return connect(first).assumeIsolated().flatMapError { [self] error in
            rest.isEmpty ? loop.makeFailedFuture(error) : connect(rest)
        }.nonisolated()
    }

    /// A new connection to `target`.
    func connect(_ target: Upstream.Target) -> EventLoopFuture<Upstream> {
        ClientBootstrap(group: loop)
            .connectTimeout(.nanoseconds(Int64(connectSeconds * 1e9)))
            .channelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // addHTTPClientHandlers, less the header validation (the heads written here were
                    // parsed by NIOHTTP1 already), with 1xx answers (100 Continue) passed on to the client.
                    let decoder = HTTPResponseDecoder(leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .forward)
                    try channel.pipeline.syncOperations.addHandlers([HTTPRequestEncoder(), ByteToMessageHandler(decoder)])
                    try channel.pipeline.syncOperations.addHandler(Upstream(target: target, channel: channel))
                }
            }
            .connect(host: target.host, port: Int(target.port))
            .flatMapThrowing { channel in try channel.pipeline.syncOperations.handler(type: Upstream.self) }
    }

    /// The first of `targets` that accepts a connection; the last one's error if none does.
    func acquire(any targets: [Upstream.Target]) -> EventLoopFuture<Upstream> {
        guard let first = targets.first else { return loop.makeFailedFuture(ChannelError.connectPending) }
        let rest = Array(targets.dropFirst())
        return acquire(first).assumeIsolated().flatMapError { [self] error in
            rest.isEmpty ? loop.makeFailedFuture(error) : acquire(any: rest)
        }.nonisolated()
    }

    /// Back into the pool after a complete exchange; closed if the pool is full.
    func release(_ u: Upstream) {
        loop.preconditionInEventLoop()
        u.delegate = nil
        u.setAutoRead(true)
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

/// After a 101: bytes both ways, each side reading only while the other can
/// take more (autoRead follows the partner's writability). Either side
/// closing closes the other. No time limit: an open WebSocket may be quiet.
final class ByteGlue: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var partner: ByteGlue?
    private var context: ChannelHandlerContext?

    static func pair() -> (ByteGlue, ByteGlue) {
        let a = ByteGlue(), b = ByteGlue()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil; partner = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let peer = partner?.context else { return }
        peer.write(data, promise: nil)
        if !peer.channel.isWritable { _ = context.channel.setOption(ChannelOptions.autoRead, value: false) }
    }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if let peer = partner?.context { _ = peer.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        partner = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
