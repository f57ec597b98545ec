import NIOCore
import NIOHTTP1
import NIOPosix
import PortKit

/// What every connection shares: the endpoints, the Host rule, the routes,
/// the limits, and the upstream pool of the one event loop.
final class ServeShared: Sendable {
    let endpoints: Endpoints
    let hosts: HostPolicy
    let routes: RouteBox
    let limits: ServeLimits
    let listenPort: UInt16
    /// One upstream pool per event loop, used only on its loop.
    let pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>]

    init(endpoints: Endpoints, hosts: HostPolicy, routes: RouteBox, limits: ServeLimits, listenPort: UInt16,
         pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>]) {
        self.endpoints = endpoints; self.hosts = hosts; self.routes = routes; self.limits = limits
        self.listenPort = listenPort; self.pools = pools
    }

    func pool(_ loop: EventLoop) -> UpstreamPool { pools[ObjectIdentifier(loop)]!.value }
}

/// One client connection, after NIOHTTP1's server pipeline: each request
/// either answered here (the server's own endpoints, Host localhost & co),
/// or passed to the leased port its `.localhost` Host names (the router):
/// head rewritten (ProxyHeaders), bodies streamed both ways as they come,
/// each side read only while the other can take more, a 101 turned into a
/// byte glue. After any error answer the connection is closed.
final class ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler, UpstreamDelegate {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        /// A request for the server itself, waiting for its end.
        case local(RequestHead)
        /// Answered already (an error): the rest of the request is dropped, then the connection closed.
        case discarding
        case proxy(Exchange)
        case events
        case upgraded
    }

    /// One request through the router.
    private final class Exchange {
        let head: HTTPRequestHead
        let route: RouteNames.Route
        let keepAlive: Bool
        let isUpgrade: Bool
        var upstream: Upstream?
        var pending: [HTTPServerRequestPart] = []
        var requestDone = false
        /// The upstreams to try, in turn.
        var targets: [Upstream.Target] = []
        /// Sent on a connection that served an earlier request (it may have been closed under us).
        var reused = false
        var retried = false
        /// No body part came from the client (so the request can be sent again).
        var bodyless = true
        /// The upstream's 101, acted on at its end (when the decoder has said all it will).
        var switching: HTTPResponseHead?
        var responseStarted = false
        var responseKeepAlive = false
        var idleTimer: Scheduled<Void>?
        /// NIODeadline.now() of the last byte either way; the idle timer re-arms from it.
        var lastActivity = NIODeadline.now()
        /// No idle limit on an event stream or an upgraded connection.
        var unlimited = false
        init(head: HTTPRequestHead, route: RouteNames.Route, keepAlive: Bool, isUpgrade: Bool) {
            self.head = head; self.route = route; self.keepAlive = keepAlive; self.isUpgrade = isUpgrade
        }
    }

    private let shared: ServeShared
    private let headGuard: HeadGuard
    /// This connection's event loop's pool.
    private var pool: UpstreamPool!
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var subscription: Int?
    /// The upstream of the last exchange, kept for this client's next request
    /// to the same port (a browser's or wrk's keep-alive connection); back to
    /// the pool when the client goes.
    private var kept: Upstream?
    /// The client's address for X-Forwarded-For ("" when it has none), read once.
    private var clientAddress: String?
    /// What autoRead was last set to on this client's channel.
    private var reading = true

    init(shared: ServeShared, headGuard: HeadGuard) {
        self.shared = shared
        self.headGuard = headGuard
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        pool = shared.pool(context.eventLoop)
    }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    // MARK: reading the client

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch (state, part) {
        case (.idle, .head(let head)):
            headGuard.headReceived()
            begin(head, context: context)
        case (.local, .body), (.discarding, .body), (.discarding, .end):
            break
        case (.local(let head), .end):
            answerLocally(head, context: context)
        case (.proxy(let x), _):
            if let u = x.upstream { u.write(Self.upstreamPart(part)) } else { x.pending.append(part) }
            if case .end = part { x.requestDone = true }
            if case .body = part { x.bodyless = false }
            touch(x)
            if let u = x.upstream, !u.channel.isWritable { setAutoRead(false) }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .proxy(let x) = state { x.upstream?.flush() }
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if case .proxy(let x) = state { x.upstream?.setAutoRead(context.channel.isWritable) }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .proxy(let x) = state { finish(x, reuse: false) }
        if let k = kept {
            kept = nil
            pool.release(k)
        }
        if let id = subscription {
            let hub = shared.endpoints.hub
            Task { await hub.remove(id) }
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard case .idle = state else {
            context.close(promise: nil)
            return
        }
        let failure: HTTPFailure
        switch error as? HTTPParserError {
        case .headerOverflow?: failure = .headTooLarge
        case .invalidVersion?: failure = .versionNotSupported("other than 1.0 or 1.1")
        case nil: context.close(promise: nil); return
        default: failure = .badRequest("malformed request")
        }
        headGuard.stop()
        respond(failure.response, version: .http1_1, method: .GET, close: true, context: context)
        state = .discarding
    }

    // MARK: a new request

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        // The router's path first, on the parser's headers (no copies): one Host, under .localhost.
        let hosts = head.headers["host"]
        if hosts.count == 1, case .routed(let name) = shared.hosts.target(hosts[0]) {
            let version = head.version
            guard version.major == 1, version.minor <= 1 else {
                return refuse(HTTPFailure.versionNotSupported("HTTP/\(version.major).\(version.minor)").response, head, context: context)
            }
            return route(head, name: name, wantsHTML: ErrorPages.wantsHTML(head.headers["accept"]), keepAlive: head.isKeepAlive, context: context)
        }
        let request: RequestHead
        do { request = try RequestHead(head) } catch {
            return refuse(error.response, head, context: context)
        }
        if let refusal = shared.hosts.refusal(request) { return refuse(refusal, head, context: context) }
        switch shared.hosts.target(request.values("Host")[0]) {
        case .local, .foreign:
            if request.announcesBody { return refuse(.error(413, "requests have no body here"), head, context: context) }
            state = .local(request)
        case .routed(let name):
            route(head, name: name, wantsHTML: ErrorPages.wantsHTML(request.values("Accept")), keepAlive: request.keepAlive, context: context)
        }
    }

    private func refuse(_ r: Response, _ head: HTTPRequestHead, context: ChannelHandlerContext) {
        headGuard.stop()
        state = .discarding
        respond(r, version: head.version, method: head.method, close: true, context: context)
    }

    private func answerLocally(_ head: RequestHead, context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Endpoints.Reply.self)
        let endpoints = shared.endpoints
        promise.completeWithTask { await endpoints.reply(to: head) }
        promise.futureResult.assumeIsolated().whenSuccess { [self] reply in
            guard let context = self.context else { return }
            let version: HTTPVersion = head.version == "HTTP/1.0" ? .http1_0 : .http1_1
            switch reply {
            case .response(let r):
                let close = !head.keepAlive || r.status >= 400
                state = close ? .discarding : .idle
                respond(r, version: version, method: HTTPMethod(rawValue: head.method), close: close, context: context)
            case .events(let sub):
                stream(sub, version: version, context: context)
            }
        }
    }

    /// Head, body, end; then the next request, or close.
    private func respond(_ r: Response, version: HTTPVersion, method: HTTPMethod, close: Bool, context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(r.head(version: version, close: close))), promise: nil)
        if method != .HEAD && !r.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: r.body)))), promise: nil)
        }
        if close {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { [self] _ in self.context?.close(promise: nil) }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            headGuard.awaitNextHead()
        }
    }

    // MARK: /events

    /// SSE frames until the subscription ends (dropped, or the server stops)
    /// or a write fails or stalls past `writeSeconds` (the client left or stopped reading).
    private func stream(_ sub: EventHub.Subscription, version: HTTPVersion, context: ChannelHandlerContext) {
        headGuard.stop()
        state = .events
        subscription = sub.id
        var r = Response(status: 200, contentType: Response.eventStream, body: "")
        r.streamed = true
        context.write(wrapOutboundOut(.head(r.head(version: version, close: true))), promise: nil)
        let hello = ": portdash events; one 'port' event per change\n\n"
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: hello)))), promise: nil)
        let channel = context.channel, hub = shared.endpoints.hub, seconds = shared.limits.writeSeconds
        Task {
            for await frame in sub.frames {
                let timer = channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { channel.close(promise: nil) }
                do {
                    try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(channel.allocator.buffer(string: frame))))
                    timer.cancel()
                } catch {
                    timer.cancel()
                    break
                }
            }
            await hub.remove(sub.id)
            try? await channel.close()
        }
    }

    // MARK: the router

    private func route(_ head: HTTPRequestHead, name: String, wantsHTML: Bool, keepAlive: Bool, context: ChannelHandlerContext) {
        let table = shared.routes.current
        if ProxyHeaders.isLoop(head) {
            return refuse(ErrorPages.page(508, title: "loop", lines: ["\(name) leads back into portdash serve itself (Via: portdash seen twice)"], html: wantsHTML), head, context: context)
        }
        switch table.decide(name) {
        case .unknown:
            refuse(ErrorPages.unknown(name, names: table.names, routerPort: shared.listenPort, html: wantsHTML), head, context: context)
        case .upstream(let targets, let route):
            if route.lease.port == shared.listenPort {
                return refuse(ErrorPages.page(508, title: "loop", lines: ["\(name) is leased to port \(route.lease.port), where portdash serve itself listens"], html: wantsHTML), head, context: context)
            }
            if clientAddress == nil { clientAddress = context.channel.remoteAddress?.ipAddress ?? "" }
            let client = clientAddress!.isEmpty ? nil : clientAddress
            let x = Exchange(head: table.withUpstreamHost(ProxyHeaders.request(head, client: client), route), route: route, keepAlive: keepAlive,
                             isUpgrade: ProxyHeaders.isUpgrade(head.headers))
            state = .proxy(x)
            x.targets = targets
            touch(x)
            if let k = kept {
                kept = nil
                if k.channel.isActive && targets.contains(k.target) {
                    x.reused = true
                    return attach(k, to: x)
                }
                pool.release(k)
            }
            let pending = pool.acquire(any: targets)
            setAutoRead(false)  // until the upstream is there
            pending.assumeIsolated().whenComplete { [self] result in
                guard case .proxy(let current) = state, current === x else {
                    if case .success(let u) = result { u.channel.close(promise: nil) }
                    return
                }
                switch result {
                case .success(let u):
                    x.reused = u.served > 0
                    attach(u, to: x)
                case .failure(let error):
                    state = .discarding
                    gatewayFailure(error, x, wantsHTML: wantsHTML)
                }
            }
        }
    }

    private func attach(_ u: Upstream, to x: Exchange) {
        x.upstream = u
        u.served += 1
        u.delegate = self
        u.write(.head(x.head))
        for part in x.pending { u.write(Self.upstreamPart(part)) }
        x.pending = []
        u.flush()
        setAutoRead(u.channel.isWritable)
    }

    private func gatewayFailure(_ error: Error, _ x: Exchange, wantsHTML: Bool) {
        guard let context else { return }
        x.idleTimer?.cancel()
        headGuard.stop()
        let r: Response
        if case ChannelError.connectTimeout = error {
            r = ErrorPages.page(504, title: "\(x.route.host) did not answer", lines: ["port \(x.route.lease.port) did not accept a connection in \(shared.limits.connectSeconds) s"], html: wantsHTML)
        } else if x.responseStarted {
            context.close(promise: nil)
            return
        } else {
            r = ErrorPages.notRunning(x.route, html: wantsHTML)
        }
        respond(r, version: x.head.version, method: x.head.method, close: true, context: context)
    }

    /// No word from either side for `proxyIdleSeconds`: 504 if the response
    /// has not begun, else closed. One timer per exchange, re-armed from the
    /// last activity when it fires (not rescheduled on every read).
    private func touch(_ x: Exchange) {
        x.lastActivity = .now()
        guard x.idleTimer == nil, !x.unlimited else { return }
        arm(x, at: x.lastActivity + .nanoseconds(Int64(shared.limits.proxyIdleSeconds * 1e9)))
    }

    private func arm(_ x: Exchange, at deadline: NIODeadline) {
        guard let context else { return }
        x.idleTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { [self] in
            x.idleTimer = nil
            guard case .proxy(let current) = state, current === x, !x.unlimited else { return }
            let due = x.lastActivity + .nanoseconds(Int64(shared.limits.proxyIdleSeconds * 1e9))
            if due > .now() { return arm(x, at: due) }
            x.upstream?.channel.close(promise: nil)
            if x.responseStarted {
                self.context?.close(promise: nil)
            } else {
                state = .discarding
                headGuard.stop()
                if let context = self.context {
                    respond(ErrorPages.page(504, title: "\(x.route.host) did not answer", lines: ["no answer from port \(x.route.lease.port) in \(shared.limits.proxyIdleSeconds) s"], html: false),
                            version: x.head.version, method: x.head.method, close: true, context: context)
                }
            }
        }
    }

    private func setAutoRead(_ on: Bool) {
        guard on != reading, let channel = context?.channel else { return }
        reading = on
        try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: on)
    }

    static func upstreamPart(_ part: HTTPServerRequestPart) -> HTTPClientRequestPart {
        switch part {
        case .head(let h): return .head(h)
        case .body(let b): return .body(.byteBuffer(b))
        case .end(let t): return .end(t)
        }
    }

    // MARK: UpstreamDelegate

    func upstreamRead(_ part: HTTPClientResponsePart) {
        guard let context, case .proxy(let x) = state else { return }
        touch(x)
        switch part {
        case .head(let h):
            if h.status == .switchingProtocols && x.isUpgrade {
                x.switching = h
                return
            }
            if h.status.code >= 100 && h.status.code < 200 && h.status != .switchingProtocols {
                // 100 Continue (an upload waiting for it), 103 Early Hints: passed on, the real head follows.
                context.writeAndFlush(wrapOutboundOut(.head(ProxyHeaders.response(h, to: x.head.version == .http1_0 ? .http1_0 : .http1_1, close: false))), promise: nil)
                return
            }
            x.responseStarted = true
            x.responseKeepAlive = h.isKeepAlive
            if h.headers["content-type"].contains(where: { $0.lowercased().hasPrefix("text/event-stream") }) {
                x.unlimited = true
                x.idleTimer?.cancel()
            }
            // After a request that asked to upgrade, NIOHTTP1 reads no further requests: close.
            let close = !x.keepAlive || x.isUpgrade
            context.write(wrapOutboundOut(.head(ProxyHeaders.response(h, to: x.head.version == .http1_0 ? .http1_0 : .http1_1, close: close))), promise: nil)
        case .body(let b):
            context.write(wrapOutboundOut(.body(.byteBuffer(b))), promise: nil)
            if !context.channel.isWritable { x.upstream?.setAutoRead(false) }
        case .end(let trailers):
            x.idleTimer?.cancel()
            if let h = x.switching { return upgrade(h, x, context: context) }
            let close = !x.keepAlive || !x.requestDone || x.isUpgrade
            state = close ? .discarding : .idle
            finish(x, reuse: x.responseKeepAlive && x.requestDone)
            setAutoRead(true)
            if close {
                context.writeAndFlush(wrapOutboundOut(.end(trailers))).assumeIsolated().whenComplete { [self] _ in self.context?.close(promise: nil) }
            } else {
                context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: nil)
                headGuard.awaitNextHead()
            }
        }
    }

    func upstreamReadComplete() { context?.flush() }

    func upstreamWritabilityChanged(_ writable: Bool) {
        if case .proxy = state { setAutoRead(writable) }
    }

    func upstreamClosed(_ error: Error?) {
        guard case .proxy(let x) = state else { return }
        x.upstream = nil
        // A kept or pooled connection the upstream closed as the request went
        // out (its keep-alive timer): a request with no body is sent again,
        // once, on a new connection.
        if x.reused && !x.responseStarted && x.requestDone && !x.retried && x.bodyless {
            x.retried = true
            x.reused = false
            x.pending = [.end(nil)]
            pool.connect(x.targets).assumeIsolated().whenComplete { [self] result in
                guard case .proxy(let current) = state, current === x else {
                    if case .success(let u) = result { u.channel.close(promise: nil) }
                    return
                }
                switch result {
                case .success(let u): attach(u, to: x)
                case .failure(let e):
                    state = .discarding
                    gatewayFailure(e, x, wantsHTML: false)
                }
            }
            return
        }
        state = .discarding
        gatewayFailure(error ?? ChannelError.eof, x, wantsHTML: false)
    }

    /// The upstream back to the pool (a whole exchange, keep-alive) or closed.
    private func finish(_ x: Exchange, reuse: Bool) {
        x.idleTimer?.cancel()
        guard let u = x.upstream else { return }
        x.upstream = nil
        u.delegate = nil
        if reuse { kept = u } else { u.channel.close(promise: nil) }
    }

    /// The upstream said 101: say it to the client, then take the HTTP
    /// handlers out of both pipelines and glue the two byte streams.
    private func upgrade(_ h: HTTPResponseHead, _ x: Exchange, context: ChannelHandlerContext) {
        guard let u = x.upstream else { return }
        x.idleTimer?.cancel()
        headGuard.stop()
        state = .upgraded
        u.delegate = nil
        x.upstream = nil
        context.write(wrapOutboundOut(.head(ProxyHeaders.response(h, to: .http1_1, close: false))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        let (mine, theirs) = ByteGlue.pair()
        do {
            // Every HTTP handler of both pipelines, the header validators included.
            let client = context.pipeline.syncOperations
            try client.addHandler(mine)
            let clientHTTP: [RemovableChannelHandler?] = [
                try? client.handler(type: HTTPServerPipelineHandler.self), try? client.handler(type: NIOHTTPResponseHeadersValidator.self),
                try? client.handler(type: HTTPResponseEncoder.self), try? client.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self), headGuard,
            ]
            for case let handler? in clientHTTP { client.removeHandler(handler, promise: nil) }
            let upstream = u.channel.pipeline.syncOperations
            upstream.removeHandler(u, promise: nil)
            try upstream.addHandler(theirs)
            let upstreamHTTP: [RemovableChannelHandler?] = [
                try? upstream.handler(type: NIOHTTPRequestHeadersValidator.self), try? upstream.handler(type: HTTPRequestEncoder.self),
                try? upstream.handler(type: ByteToMessageHandler<HTTPResponseDecoder>.self),
            ]
            for case let handler? in upstreamHTTP { upstream.removeHandler(handler, promise: nil) }
            setAutoRead(true)
            u.setAutoRead(true)
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        } catch {
            u.channel.close(promise: nil)
            context.close(promise: nil)
        }
    }
}
