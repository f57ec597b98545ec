import NIOCore
import NIOHTTP1
import PortKit
/// What every connection shares: the endpoints, the Host rule, the routes,
/// the limits, and the upstream pool of each event loop.
final class ServeShared: Sendable {
    let endpoints: Endpoints
    let hosts: HostPolicy
    let routes: RouteBox
    let limits: ServeLimits
    /// The ports of serve's own listeners (a lease of one of them is a loop).
    let ownPorts: Set<UInt16>
    /// One upstream pool per event loop, used only on its loop.
    let pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>]

    init(endpoints: Endpoints, hosts: HostPolicy, routes: RouteBox, limits: ServeLimits, ownPorts: Set<UInt16>,
         pools: [ObjectIdentifier: NIOLoopBound<UpstreamPool>]) {
        self.endpoints = endpoints; self.hosts = hosts; self.routes = routes; self.limits = limits
        self.ownPorts = ownPorts; self.pools = pools
    }

    func pool(_ loop: EventLoop) -> UpstreamPool { pools[ObjectIdentifier(loop)]!.value }
}

/// Where one connection (or one HTTP/2 stream) is: the listener's origin,
/// and the HeadGuard below its HTTP/1 decoder (none on an HTTP/2 stream,
/// whose requests each have a stream of their own).
struct ConnectionPlace {
    let origin: RouterOrigin
    let headGuard: HeadGuard?
    /// Where routed names are sent instead (307): HTTPS on 443, from plain HTTP on 80.
    var redirect: RouterOrigin? = nil
    var isHTTP2Stream: Bool { headGuard == nil }

    /// Port 80 beside 443: the URLs carry no port and say https, so a plain request for a name is sent there.
    static func redirect(plainPort: UInt16, tlsPorts: [UInt16]) -> RouterOrigin? {
        plainPort == 80 && tlsPorts.contains(443) ? .https(443) : nil
    }
}

/// What the endpoint handler passes on to the proxy handler: a request for a routed name.
enum RoutedPart: Sendable {
    case head(RoutedRequest)
    case body(ByteBuffer)
    case end(HTTPHeaders?)
}

struct RoutedRequest: Sendable {
    /// As the client sent it.
    let head: HTTPRequestHead
    /// The addresses to try in turn.
    let targets: [Upstream.Target]
    let route: RouteNames.Route
    let wantsHTML: Bool
    let keepAlive: Bool
    /// The Host its upstream gets instead of the client's (`proxy_host = "upstream"`: RouteTable.upstreamHost).
    var upstreamHost: String? = nil
}

/// A whole answer of the server's own: head, body (not to HEAD), end; then
/// the connection closed, or the next head awaited (keep-alive).
enum Answer {
    static func write(_ r: Response, version: HTTPVersion, method: HTTPMethod, close: Bool, context: ChannelHandlerContext, place: ConnectionPlace) {
        context.write(NIOAny(HTTPServerResponsePart.head(r.head(version: responseVersion(version), close: close))), promise: nil)
        if method != .HEAD && !r.body.isEmpty {
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(context.channel.allocator.buffer(bytes: r.body)))), promise: nil)
        }
        end(nil, close: close, context: context, place: place)
    }

    /// The end of a response, then close (after it is written) or await the next head.
    static func end(_ trailers: HTTPHeaders?, close: Bool, context: ChannelHandlerContext, place: ConnectionPlace) {
        if close {
            let channel = context.channel
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(trailers))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(trailers)), promise: nil)
            place.headGuard?.awaitNextHead()
        }
    }

    /// An HTTP/1.0 client is answered in 1.0 (RFC 9110 §2.5); anyone else in
    /// 1.1 (on HTTP/2 the codec writes no version).
    static func responseVersion(_ request: HTTPVersion) -> HTTPVersion { request == .http1_0 ? .http1_0 : .http1_1 }
}
