import NIOCore
import NIOHTTP1
import PortKit

/// One client connection's (or HTTP/2 stream's) exchanges through the
/// router, after the EndpointHandler: each request is passed to an upstream
/// connection (kept from the last request to the same port, from the pool,
/// or new), its head rewritten (ProxyHeaders), bodies streamed both ways as
/// they come. Reads are gated as NIO's GlueHandler gates them: this side's
/// `read()` waits while there is no upstream or it cannot take more, the
/// upstream's while this side cannot. A 101 to a request that asked to
/// upgrade takes the HTTP handlers out and glues the two byte streams.
///
/// The exchange is a state machine (`Phase`), each transition tested on
/// EmbeddedChannels in ProxyExchangeTests.
final class ProxyHandler: ChannelDuplexHandler, RemovableChannelHandler, UpstreamDelegate {
    typealias InboundIn = RoutedPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum Phase: Equatable {
        /// No request, or between requests (keep-alive).
        case idle
        /// A request came; the upstream connection is on its way (parts wait in `pending`).
        case connecting
        /// The request goes up, the response comes down.
        case forwarding
        /// The upstream said 101 to a request that asked to upgrade; acted on at its end.
        case switching
        /// The two byte streams are glued; this handler is out of the pipeline.
        case upgraded
        /// An answer of the router's own (502, 504) or the last response is out: the connection closes.
        case closing
    }

    /// One request through the router.
    final class Exchange {
        let request: RoutedRequest
        /// The head the upstream gets.
        let head: HTTPRequestHead
        let isUpgrade: Bool
        var upstream: Upstream?
        var pending: [HTTPClientRequestPart] = []
        var requestDone = false
        /// Sent on a connection that served an earlier request (it may have been closed under us).
        var reused = false
        var retried = false
        /// No body part came from the client (so the request can be sent again).
        var bodyless = true
        var switching: HTTPResponseHead?
        var responseStarted = false
        var responseKeepAlive = false
        /// The client's connection ends with this response.
        var closeAfter = false
        var timer: Scheduled<Void>?
        /// The loop's time of the last byte either way; the timer re-arms from it.
        var lastActivity = NIODeadline.now()
        /// No time limit on an event stream.
        var unlimited = false

        init(_ request: RoutedRequest, head: HTTPRequestHead) {
            self.request = request
            self.head = head
            isUpgrade = ProxyHeaders.isUpgrade(request.head.headers)
        }
        var clientVersion: HTTPVersion { Answer.responseVersion(request.head.version) }
    }

    private let shared: ServeShared
    private let place: ConnectionPlace
    private(set) var phase = Phase.idle
    private var exchange: Exchange?
    private var context: ChannelHandlerContext?
    /// This connection's event loop's pool.
    private var pool: UpstreamPool!
    /// The upstream of the last exchange, kept for this client's next request
    /// to the same port (a browser's or wrk's keep-alive connection); back to
    /// the pool when the client goes.
    private var kept: Upstream?
    /// The client's address for X-Forwarded-For ("" when it has none), read once.
    private var clientAddress: String?
    private var pendingRead = false

    init(shared: ServeShared, place: ConnectionPlace) {
        self.shared = shared
        self.place = place
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        pool = shared.pool(context.eventLoop)
    }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: the client side

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            guard phase == .idle else { return }
            begin(request, context: context)
        case .body(let b):
            guard let x = exchange, phase == .connecting || phase == .forwarding else { return }
            x.bodyless = false
            send(.body(.byteBuffer(b)), x)
        case .end(let t):
            guard let x = exchange, phase == .connecting || phase == .forwarding || phase == .switching else { return }
            x.requestDone = true
            send(.end(t), x)
        }
    }

    private func send(_ part: HTTPClientRequestPart, _ x: Exchange) {
        touch(x)
        if let u = x.upstream { u.write(part) } else { x.pending.append(part) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstream?.flush()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.upstream?.setPartnerWritable(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let x = exchange { finish(x, reuse: false) }
        exchange = nil
        if let k = kept {
            kept = nil
            pool.release(k)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }

    /// Reads wait while the request has nowhere to go yet, or its upstream is full.
    func read(context: ChannelHandlerContext) {
        if readsWait { pendingRead = true } else { context.read() }
    }

    private var readsWait: Bool {
        switch phase {
        case .connecting: return true
        case .forwarding: return !(exchange?.upstream?.channel.isWritable ?? false)
        default: return false
        }
    }

    private func readAgain() {
        guard pendingRead, !readsWait else { return }
        pendingRead = false
        context?.read()
    }

    // MARK: a request

    private func begin(_ request: RoutedRequest, context: ChannelHandlerContext) {
        if clientAddress == nil { clientAddress = context.channel.remoteAddress?.ipAddress ?? "" }
        let client = clientAddress!.isEmpty ? nil : clientAddress
        var head = ProxyHeaders.request(request.head, client: client, scheme: place.origin.scheme)
        if let host = request.upstreamHost { head.headers.replaceOrAdd(name: "Host", value: host) }
        let x = Exchange(request, head: head)
        exchange = x
        phase = .connecting
        touch(x)
        if let k = kept {
            kept = nil
            if k.channel.isActive && request.targets.contains(k.target) {
                x.reused = true
                return attach(k, to: x)
            }
            pool.release(k)
        }
        pool.acquire(any: request.targets).assumeIsolated().whenComplete { [self] result in
            guard exchange === x, phase == .connecting else {
                if case .success(let u) = result { u.channel.close(promise: nil) }
                return
            }
            switch result {
            case .success(let u):
                x.reused = u.served > 0
                attach(u, to: x)
            case .failure(let error):
                gatewayFailure(error, x)
            }
        }
    }

    private func attach(_ u: Upstream, to x: Exchange) {
        x.upstream = u
        u.served += 1
        u.delegate = self
        u.setPartnerWritable(context?.channel.isWritable ?? true)
        phase = .forwarding
        u.write(.head(x.head))
        for part in x.pending { u.write(part) }
        x.pending = []
        u.flush()
        readAgain()
    }

    // MARK: the upstream side

    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard let context, let x = exchange else { return }
        if phase == .switching, case .end = part { return upgrade(x, context: context) }
        guard phase == .forwarding else { return }
        touch(x)
        switch part {
        case .head(let h):
            if h.status == .switchingProtocols {
                guard x.isUpgrade && !place.isHTTP2Stream else {
                    // An upgrade the client never asked for: its bytes would not be HTTP.
                    return upstreamFailed(x, lines: ["port \(x.request.route.lease.port) switched protocols (101) though the request asked for no upgrade"])
                }
                x.switching = h
                phase = .switching
                return
            }
            if h.status.code < 200 {
                // 100 Continue (an upload waiting for it), 103 Early Hints: passed on, the real head follows.
                // HTTP/1.0 knows no 1xx (RFC 9110 §15.2): dropped for a 1.0 client.
                if x.clientVersion == .http1_1 {
                    context.writeAndFlush(wrapOutboundOut(.head(ProxyHeaders.response(h, to: .http1_1, close: false))), promise: nil)
                }
                return
            }
            x.responseStarted = true
            x.responseKeepAlive = h.isKeepAlive
            if h.headers["content-type"].contains(where: { $0.lowercased().hasPrefix("text/event-stream") }) {
                x.unlimited = true
                x.timer?.cancel()
            }
            // After a request that asked to upgrade, NIOHTTP1 reads no further requests: close.
            x.closeAfter = !x.request.keepAlive || x.isUpgrade
                || ProxyHeaders.needsClose(h, to: x.clientVersion, method: x.request.head.method)
            context.write(wrapOutboundOut(.head(ProxyHeaders.response(h, to: x.clientVersion, close: x.closeAfter))), promise: nil)
        case .body(let b):
            context.write(wrapOutboundOut(.body(.byteBuffer(b))), promise: nil)
        case .end(let trailers):
            x.timer?.cancel()
            let close = x.closeAfter || !x.requestDone
            finish(x, reuse: x.responseKeepAlive && x.requestDone)
            exchange = nil
            phase = close ? .closing : .idle
            Answer.end(trailers, close: close, context: context, place: place)
            readAgain()
        }
    }

    func upstreamReadComplete() { context?.flush() }

    func upstreamWritabilityChanged(_ writable: Bool) { if writable { readAgain() } }

    func upstreamClosed(_ error: Error?) {
        guard let x = exchange, phase == .forwarding || phase == .switching else { return }
        x.upstream = nil
        if phase == .switching { return closeClient() }
        // A kept or pooled connection the upstream closed as the request went
        // out (its keep-alive timer): a request with no body is sent again,
        // once, on a new connection.
        if x.reused && !x.responseStarted && x.requestDone && !x.retried && x.bodyless {
            x.retried = true
            x.reused = false
            x.pending = [.end(nil)]
            phase = .connecting
            pool.connect(x.request.targets).assumeIsolated().whenComplete { [self] result in
                guard exchange === x, phase == .connecting else {
                    if case .success(let u) = result { u.channel.close(promise: nil) }
                    return
                }
                switch result {
                case .success(let u): attach(u, to: x)
                case .failure(let e): gatewayFailure(e, x)
                }
            }
            return
        }
        if x.responseStarted { return closeClient() }
        upstreamFailed(x, lines: ["port \(x.request.route.lease.port) closed the connection without answering"])
    }

    /// The upstream back to the pool (a whole exchange, keep-alive) or closed.
    private func finish(_ x: Exchange, reuse: Bool) {
        x.timer?.cancel()
        guard let u = x.upstream else { return }
        x.upstream = nil
        u.delegate = nil
        if reuse { kept = u } else { u.channel.close(promise: nil) }
    }

    // MARK: the router's own answers

    /// No connection to the upstream: 504 when it did not accept in time, else 502 (nothing listens).
    private func gatewayFailure(_ error: Error, _ x: Exchange) {
        let route = x.request.route
        if case ChannelError.connectTimeout = error {
            return answer(504, "\(route.host) did not answer", ["port \(route.lease.port) did not accept a connection in \(shared.limits.connectSeconds) s"], x)
        }
        answer(ErrorPages.notRunning(route, html: x.request.wantsHTML, origin: place.origin), x)
    }

    /// The upstream broke the exchange before its response began: 502 saying how.
    private func upstreamFailed(_ x: Exchange, lines: [String]) {
        answer(502, "\(x.request.route.host) did not answer properly", lines, x)
    }

    private func answer(_ status: Int, _ title: String, _ lines: [String], _ x: Exchange) {
        answer(ErrorPages.page(status, title: title, lines: lines, html: x.request.wantsHTML, origin: place.origin), x)
    }

    private func answer(_ r: Response, _ x: Exchange) {
        finish(x, reuse: false)
        exchange = nil
        phase = .closing
        guard let context else { return }
        if x.responseStarted { return closeClient() }
        place.headGuard?.stop()
        Answer.write(r, version: x.request.head.version, method: x.request.head.method, close: true, context: context, place: place)
    }

    private func closeClient() {
        if let x = exchange { finish(x, reuse: false) }
        exchange = nil
        phase = .closing
        context?.close(promise: nil)
    }

    // MARK: time

    /// No answer begun within `answerSeconds` of the last byte: 504; no byte
    /// either way for `proxyIdleSeconds` once it has begun: closed. One timer
    /// per exchange, re-armed from the last activity when it fires (not
    /// rescheduled on every read).
    private func touch(_ x: Exchange) {
        x.lastActivity = context?.eventLoop.now ?? .now()
        guard x.timer == nil, !x.unlimited else { return }
        arm(x, at: x.lastActivity + limit(x))
    }

    private func limit(_ x: Exchange) -> TimeAmount {
        .nanoseconds(Int64((x.responseStarted ? shared.limits.proxyIdleSeconds : shared.limits.answerSeconds) * 1e9))
    }

    private func arm(_ x: Exchange, at deadline: NIODeadline) {
        guard let context else { return }
        x.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            x.timer = nil
            guard exchange === x, !x.unlimited, phase == .connecting || phase == .forwarding else { return }
            let due = x.lastActivity + limit(x)
            if due > context.eventLoop.now { return arm(x, at: due) }
            let route = x.request.route
            answer(504, "\(route.host) did not answer", ["no answer from port \(route.lease.port) in \(shared.limits.answerSeconds) s"], x)
        }
    }

    // MARK: the upgrade

    /// The upstream said 101 to an upgrade: say it to the client, then take
    /// the HTTP handlers (and these two) out of both pipelines and glue the
    /// two byte streams.
    private func upgrade(_ x: Exchange, context: ChannelHandlerContext) {
        guard let u = x.upstream, let h = x.switching else { return closeClient() }
        x.timer?.cancel()
        place.headGuard?.stop()
        phase = .upgraded
        exchange = nil
        u.delegate = nil
        x.upstream = nil
        context.write(wrapOutboundOut(.head(ProxyHeaders.response(h, to: .http1_1, close: false))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let (mine, theirs) = GlueHandler.matchedPair()
        do {
            let client = context.pipeline.syncOperations
            let clientHTTP: [RemovableChannelHandler?] = [
                try? client.handler(type: HTTPServerPipelineHandler.self), try? client.handler(type: NIOHTTPResponseHeadersValidator.self),
                try? client.handler(type: HTTPResponseEncoder.self), try? client.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self),
                place.headGuard, try? client.handler(type: EndpointHandler.self),
            ]
            try client.addHandler(mine)
            for case let handler? in clientHTTP { client.removeHandler(handler, promise: nil) }
            // The Upstream handler out first: the decoder's leftover bytes (the first frames) go to the glue.
            let upstream = u.channel.pipeline.syncOperations
            upstream.removeHandler(u, promise: nil)
            try upstream.addHandler(theirs)
            for handler in Upstream.httpHandlers(upstream) { upstream.removeHandler(handler, promise: nil) }
            client.removeHandler(self, promise: nil)
            // Bytes that came with the 101 reach the glue as the decoder leaves, after the
            // read's last flush: flushed once the pipelines are settled.
            let clientChannel = context.channel, upstreamChannel = u.channel
            context.eventLoop.assumeIsolated().execute {
                clientChannel.flush()
                upstreamChannel.flush()
            }
        } catch {
            u.channel.close(promise: nil)
            context.close(promise: nil)
        }
    }
}
