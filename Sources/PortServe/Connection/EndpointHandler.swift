import NIOCore
import NIOHTTP1
import PortKit

/// The first handler after the HTTP codec (HTTP/1's server pipeline, or
/// HTTP/2's per-stream codec): takes each request head and either answers
/// it here (the server's own endpoints for Host localhost & co, and the
/// router's own pages: 404 for a name no lease has, 508 for a loop, 405 for
/// CONNECT, 505), or passes the request on to the ProxyHandler after it
/// (a `.localhost` name with a lease). NIOHTTP1's pipeline handler holds the
/// next request back until a response has ended, so each head comes alone.
final class EndpointHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = RoutedPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        /// A request for the server itself, waiting for its end.
        case local(RequestHead)
        /// Answered already (an error): the rest of the request is dropped, then the connection closed.
        case discarding
        /// The request is the ProxyHandler's.
        case forwarding
        case events
    }

    private let shared: ServeShared
    private let place: ConnectionPlace
    private var state = State.idle
    private var context: ChannelHandlerContext?
    private var subscription: Int?

    init(shared: ServeShared, place: ConnectionPlace) {
        self.shared = shared
        self.place = place
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (state, unwrapInboundIn(data)) {
        case (.idle, .head(let head)), (.forwarding, .head(let head)):
            place.headGuard?.headReceived()
            begin(head, context: context)
        case (.forwarding, .body(let b)):
            context.fireChannelRead(wrapInboundOut(.body(b)))
        case (.forwarding, .end(let t)):
            context.fireChannelRead(wrapInboundOut(.end(t)))
        case (.local(let head), .end):
            answerLocally(head, context: context)
        default:
            break  // a body to the server itself (refused already), or the rest of a refused request
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
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
        refuse(failure.response, HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"), context: context)
    }

    // MARK: a new request

    private func begin(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let html = ErrorPages.wantsHTML(head.headers["accept"])
        if head.method == .CONNECT {
            var page = ErrorPages.page(405, title: "CONNECT is not served", lines: [
                "portdash serve routes NAME.localhost names; it is no forward proxy and opens no tunnels",
            ], html: html, origin: place.origin)
            page.extraHeaders.append(("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"))
            return refuse(page, head, context: context)
        }
        let hosts = head.headers["host"]
        if place.isHTTP2Stream, let failure = EndpointHandler.http2Problem(head, hosts: hosts, limits: shared.limits) {
            return refuse(failure.response, head, context: context)
        }
        // The router's path first, on the parser's headers (no copies): one Host, printable ASCII, under .localhost.
        if hosts.count == 1, hosts[0].utf8.allSatisfy({ $0 > 32 && $0 < 127 }), case .routed(let name) = shared.hosts.target(hosts[0]) {
            guard supports(head.version) else {
                let v = "HTTP/\(head.version.major).\(head.version.minor)"
                return refuse(ErrorPages.page(505, title: "\(v) is not supported", lines: ["\(v) is not supported; use HTTP/1.1 or HTTP/2"], html: html, origin: place.origin), head, context: context)
            }
            return route(head, name: name, wantsHTML: html, context: context)
        }
        let request: RequestHead
        do { request = try RequestHead(head, http2: place.isHTTP2Stream) } catch {
            return refuse(error.response, head, context: context)
        }
        if let refusal = shared.hosts.refusal(request) { return refuse(refusal, head, context: context) }
        switch shared.hosts.target(request.values("Host")[0]) {
        case .local, .foreign:
            if request.announcesBody { return refuse(.error(413, "requests have no body here"), head, context: context) }
            state = .local(request)
        case .routed(let name):
            route(head, name: name, wantsHTML: html, context: context)
        }
    }

    /// What HTTP/1.1's parser refuses and HTTP/2's codec lets through: a
    /// head over the head limits (HTTP/1.1's HeadGuard and decoder: 431), and
    /// `:authority` and a Host field naming different hosts (RFC 9113 §8.3.1:
    /// malformed; the codec keeps both as Host).
    static func http2Problem(_ head: HTTPRequestHead, hosts: [String], limits: ServeLimits) -> HTTPFailure? {
        var bytes = 0
        for (name, value) in head.headers { bytes += name.utf8.count + value.utf8.count + 4 }
        if bytes > limits.headBytes || head.headers.count > limits.headerLines { return .headTooLarge }
        if hosts.count > 1, Set(hosts.map { $0.lowercased() }).count > 1 {
            return .badRequest(":authority and Host name different hosts")
        }
        return nil
    }

    private func supports(_ v: HTTPVersion) -> Bool {
        place.isHTTP2Stream ? v.major == 2 : (v.major == 1 && v.minor <= 1)
    }

    private func refuse(_ r: Response, _ head: HTTPRequestHead, context: ChannelHandlerContext) {
        place.headGuard?.stop()
        state = .discarding
        Answer.write(r, version: head.version, method: head.method, close: true, context: context, place: place)
    }

    /// A routed name: this router's own pages for what cannot go anywhere, else on to the ProxyHandler.
    private func route(_ head: HTTPRequestHead, name: String, wantsHTML: Bool, context: ChannelHandlerContext) {
        let origin = place.origin
        if ProxyHeaders.isLoop(head) {
            return refuse(ErrorPages.page(508, title: "loop", lines: ["\(name) leads back into portdash serve itself (Via: portdash seen twice)"], html: wantsHTML, origin: origin), head, context: context)
        }
        let table = shared.routes.current
        switch table.decide(name) {
        case .unknown:
            refuse(ErrorPages.unknown(name, names: table.names, html: wantsHTML, origin: origin), head, context: context)
        case .upstream(let targets, let route):
            if shared.ownPorts.contains(route.lease.port) {
                return refuse(ErrorPages.page(508, title: "loop", lines: ["\(name) is leased to port \(route.lease.port), where portdash serve itself listens"], html: wantsHTML, origin: origin), head, context: context)
            }
            if let https = place.redirect {
                var r = ErrorPages.page(307, title: "\(name) is served over HTTPS", lines: [https.url(host: name)], html: wantsHTML, origin: https)
                r.extraHeaders.append(("Location", https.url(host: name) + ProxyHeaders.originForm(head.uri).dropFirst()))
                return refuse(r, head, context: context)
            }
            state = .forwarding
            let request = RoutedRequest(head: head, targets: targets, route: route, wantsHTML: wantsHTML,
                                        keepAlive: !place.isHTTP2Stream && head.isKeepAlive, upstreamHost: table.upstreamHost(for: route))
            context.fireChannelRead(wrapInboundOut(.head(request)))
        }
    }

    // MARK: the server's own endpoints

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
                Answer.write(r, version: version, method: HTTPMethod(rawValue: head.method), close: close, context: context, place: place)
            case .events(let sub):
                stream(sub, version: version, context: context)
            }
        }
    }

    /// SSE frames until the subscription ends (dropped, or the server stops)
    /// or a write fails or stalls past `writeSeconds` (the client left or stopped reading).
    private func stream(_ sub: EventHub.Subscription, version: HTTPVersion, context: ChannelHandlerContext) {
        place.headGuard?.stop()
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
}
