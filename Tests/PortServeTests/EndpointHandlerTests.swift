import NIOCore
import NIOEmbedded
import NIOHTTP1
import PortKit
import PortKitTestSupport
import Testing
@testable import PortServe

/// The EndpointHandler on an EmbeddedChannel: what it answers itself and what it passes on.
@Suite("the endpoint handler: routed requests passed on, CONNECT refused, port 80 sent to https")
struct EndpointHandlerTests {
    static func channel(redirect: RouterOrigin? = nil) throws -> (EmbeddedChannel, String) {
        let dir = TestSupport.temporaryDirectory("endpoint-handler")
        let limits = ServeLimits()
        let queue = RefreshQueue(store: LeaseStore(path: dir + "/leases.json"), range: PortRange(uncheckedFirst: 5001, last: 5002))
        let routes = RouteBox()
        var table = RouteTable()
        table.names = RouteNames(leases: [Lease(service: "app", port: 5001, kind: .reservation, granted: 1)])
        routes.set(table)
        let endpoints = Endpoints(view: LiveView(), scopes: ScopeCache(queue: queue, maxAge: 1, limit: 2), hub: EventHub(limit: 1, queue: 1),
                                  names: routes, router: RouterAddress(port: 80), limits: limits, interval: 1)
        let shared = ServeShared(endpoints: endpoints, hosts: HostPolicy(listen: try ListenAddress(parsing: "127.0.0.1:80")), routes: routes,
                                 limits: limits, ownPorts: [80], pools: [:])
        let place = ConnectionPlace(origin: .http(80), headGuard: HeadGuard(limits: limits), redirect: redirect)
        return (EmbeddedChannel(handler: EndpointHandler(shared: shared, place: place)), dir)
    }

    static func head(_ method: HTTPMethod, _ uri: String, host: String) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: HTTPHeaders([("Host", host)])))
    }

    @Test("a routed name goes on to the proxy handler as a RoutedRequest with its targets")
    func passedOn() throws {
        let (channel, dir) = try Self.channel()
        defer { TestSupport.removeTree(dir) }
        try channel.writeInbound(Self.head(.GET, "/x", host: "app.localhost"))
        guard case .head(let r)? = try channel.readInbound(as: RoutedPart.self) else { Issue.record("nothing passed on"); return }
        #expect(r.route.lease.port == 5001 && r.targets.map(\.port) == [5001, 5001] && r.keepAlive)
    }

    @Test("CONNECT is answered 405 here, never passed on")
    func connect() throws {
        let (channel, dir) = try Self.channel()
        defer { TestSupport.removeTree(dir) }
        try channel.writeInbound(Self.head(.CONNECT, "app.localhost:443", host: "app.localhost:443"))
        #expect(try channel.readInbound(as: RoutedPart.self) == nil)
        guard case .head(let h)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { Issue.record("no answer"); return }
        #expect(h.status.code == 405 && h.headers["allow"].first?.contains("GET") == true)
    }

    @Test("plain HTTP on 80 beside HTTPS on 443: a routed name gets 307 to https, the same path and query")
    func redirect() throws {
        #expect(ConnectionPlace.redirect(plainPort: 80, tlsPorts: [443]) == .https(443))
        #expect(ConnectionPlace.redirect(plainPort: 5099, tlsPorts: [443]) == nil && ConnectionPlace.redirect(plainPort: 80, tlsPorts: [5443]) == nil)
        let (channel, dir) = try Self.channel(redirect: .https(443))
        defer { TestSupport.removeTree(dir) }
        try channel.writeInbound(Self.head(.GET, "/a/b?c=1", host: "app.localhost"))
        guard case .head(let h)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { Issue.record("no answer"); return }
        #expect(h.status.code == 307 && h.headers["location"] == ["https://app.localhost/a/b?c=1"])
    }
}
