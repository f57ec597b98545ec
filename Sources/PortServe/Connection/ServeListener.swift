import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import NIOTLS

/// One listening socket's connections: what each speaks and the handlers
/// it gets. Plain HTTP: HeadGuard, NIOHTTP1's server pipeline, then the
/// EndpointHandler and the ProxyHandler. HTTPS: TLS first (the HeadGuard
/// above it times the handshake too), then by ALPN either the same HTTP/1.1
/// pipeline or HTTP/2, where each stream gets HTTP2FramePayloadToHTTP1ServerCodec
/// and its own EndpointHandler and ProxyHandler (so one proxy serves both).
struct ServeListener: Sendable {
    let shared: ServeShared
    let gate: ConnectionGate
    let origin: RouterOrigin
    let tls: NIOSSLContext?
    /// Plain HTTP on 80 beside HTTPS on 443: routed names are redirected there.
    var redirect: RouterOrigin? = nil

    func bootstrap(group: EventLoopGroup) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .childChannelOption(ChannelOptions.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            // A FIN after a request still gets the response (NIOHTTP1 closes after it); after a 101 the glue passes it on.
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: tls == nil)
            .childChannelInitializer { channel in
                let admission = gate.admit()
                channel.closeFuture.whenComplete { _ in gate.leave(admission) }
                return channel.eventLoop.makeCompletedFuture {
                    // Over the limit on TLS: closed (a 503 would cost a handshake first).
                    if admission == .drop || (admission == .refuse && tls != nil) { throw ChannelError.ioOnClosedChannel }
                    var limits = shared.limits
                    if admission == .refuse { limits.headSeconds = min(2, limits.headSeconds) }
                    let headGuard = HeadGuard(limits: limits)
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(PlainHTTPGuard(origin: origin))
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls))
                        try channel.pipeline.syncOperations.addHandler(headGuard)
                        try channel.pipeline.syncOperations.addHandler(negotiation())
                        return
                    }
                    try channel.pipeline.syncOperations.addHandler(headGuard)
                    try http1(channel, headGuard: headGuard, refuse: admission == .refuse, limits: limits)
                }
            }
    }

    /// After the handshake: HTTP/2 when the client chose `h2`, else HTTP/1.1.
    private func negotiation() -> ApplicationProtocolNegotiationHandler {
        ApplicationProtocolNegotiationHandler { result, channel in
            channel.eventLoop.makeCompletedFuture {
                let headGuard = try channel.pipeline.syncOperations.handler(type: HeadGuard.self)
                if case .negotiated("h2") = result {
                    headGuard.stop()
                    channel.pipeline.syncOperations.removeHandler(headGuard, promise: nil)
                    try http2(channel)
                } else {
                    try http1(channel, headGuard: headGuard, refuse: false, limits: shared.limits)
                }
            }
        }
    }

    private func http1(_ channel: Channel, headGuard: HeadGuard, refuse: Bool, limits: ServeLimits) throws {
        let pipeline = channel.pipeline.syncOperations
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderListSize = limits.headBytes
        decoderLimits.maxHeaderFieldSize = limits.headBytes
        decoderLimits.maxHeaderFieldCount = limits.headerLines
        try pipeline.configureHTTPServerPipeline(withErrorHandling: false, withEncoderConfiguration: .init(),
                                                 withDecoderLimitConfiguration: decoderLimits)
        if refuse { return try pipeline.addHandler(Refusal(limits: limits, headGuard: headGuard)) }
        let place = ConnectionPlace(origin: origin, headGuard: headGuard, redirect: tls == nil ? redirect : nil)
        try pipeline.addHandlers([EndpointHandler(shared: shared, place: place), ProxyHandler(shared: shared, place: place)])
    }

    /// HTTP/2: at most 100 streams at once, a header list no larger than
    /// HTTP/1's head limit, and a connection with no frame either way for
    /// `proxyIdleSeconds` closed. No SETTINGS_ENABLE_CONNECT_PROTOCOL: a
    /// WebSocket takes an HTTP/1.1 connection of its own (browsers do so
    /// when the setting is absent).
    private func http2(_ channel: Channel) throws {
        let pipeline = channel.pipeline.syncOperations
        let limits = shared.limits
        try pipeline.addHandler(IdleStateHandler(allTimeout: .nanoseconds(Int64(limits.proxyIdleSeconds * 1e9))))
        try pipeline.addHandler(IdleCloser())
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 100),
            HTTP2Setting(parameter: .maxHeaderListSize, value: limits.headBytes),
        ]
        // The first request has the head limit's time, as on HTTP/1.1: a client
        // that trickles its preface or opens no stream holds no slot for long.
        let firstStream = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(limits.headSeconds * 1e9))) { channel.close(promise: nil) }
        let shared = self.shared, origin = self.origin
        _ = try pipeline.configureHTTP2Pipeline(mode: .server, connectionConfiguration: connection, streamConfiguration: .init()) { stream in
            firstStream.cancel()
            return stream.eventLoop.makeCompletedFuture {
                let place = ConnectionPlace(origin: origin, headGuard: nil)
                try stream.pipeline.syncOperations.addHandlers([
                    HTTP2FramePayloadToHTTP1ServerCodec(), EndpointHandler(shared: shared, place: place), ProxyHandler(shared: shared, place: place),
                ])
            }
        }
    }
}

/// Closes an HTTP/2 connection that IdleStateHandler found idle.
final class IdleCloser: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }
}
