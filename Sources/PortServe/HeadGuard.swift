import NIOCore

/// Below the HTTP decoder: while a request head is awaited, counts its
/// bytes and its time. Past `limits.headBytes` (twice that with the request
/// line, whatever the parser has seen) the answer is 431; past
/// `limits.headSeconds` it is 408 if part of a head came, else the idle
/// connection is closed without a word. Once the head is in, the request
/// is the connection handler's: no limits here while a body streams, a
/// response is written, an event stream or a WebSocket is open.
final class HeadGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State { case awaiting(bytes: Int), inRequest, off }
    private var state = State.awaiting(bytes: 0)
    private var timer: Scheduled<Void>?
    /// When the head now awaited began to be awaited; the one timer re-arms from it.
    private var since = NIODeadline.now()
    private var context: ChannelHandlerContext?
    private let limits: ServeLimits

    init(limits: ServeLimits) { self.limits = limits }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        since = .now()
        arm()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = unwrapInboundIn(data).readableBytes
        context.fireChannelRead(data)
        // The decoder has seen the bytes: if they completed a head, headReceived() was called meanwhile.
        if case .awaiting(let before) = state {
            state = .awaiting(bytes: before + count)
            if before + count > limits.headBytes * 2 { fail(.headTooLarge) }
        }
    }

    /// The connection handler has a whole head. (The timer stays: when it
    /// fires during a request it does nothing and is not re-armed.)
    func headReceived() {
        if case .awaiting = state { state = .inRequest }
    }

    /// The response is out; the next head is awaited (keep-alive).
    func awaitNextHead() {
        guard case .inRequest = state else { return }
        state = .awaiting(bytes: 0)
        since = .now()
        if timer == nil { arm() }
    }

    /// No more limits here (the connection is closing, streaming events, or upgraded).
    func stop() {
        timer?.cancel()
        state = .off
    }

    private var limit: TimeAmount { .nanoseconds(Int64(limits.headSeconds * 1e9)) }

    private func arm() {
        timer?.cancel()
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: since + limit) { [self] in
            timer = nil
            guard case .awaiting(let bytes) = state else { return }
            if since + limit > .now() { return arm() }
            if bytes == 0 {
                state = .off
                context.close(promise: nil)
            } else {
                fail(.timedOut)
            }
        }
    }

    private func fail(_ failure: HTTPFailure) {
        guard let context else { return }
        state = .off
        timer?.cancel()
        let bytes = failure.response.raw()
        var buffer = context.channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }
}
