import PortKit

/// What a request to the server itself (Host localhost, 127.0.0.1, [::1],
/// portdash.localhost) gets, in order: a request with a body 413, a method
/// other than GET or HEAD 405, an unknown path 404; then the endpoints.
/// (A foreign Host got its 421 before this.) Read-only: nothing here
/// reserves, releases or kills.
struct Endpoints: Sendable {
    enum Reply: Sendable {
        case response(Response)
        case events(EventHub.Subscription)
    }

    let view: LiveView
    let scopes: ScopeCache
    let hub: EventHub
    let names: RouteBox
    let router: RouterAddress
    let limits: ServeLimits
    let interval: Double

    static let paths = ["/", "/port-status", "/leases", "/metrics", "/healthz", "/events", "/.portdash/style.css", "/.portdash/live.js"]

    func reply(to head: RequestHead) async -> Reply {
        if head.announcesBody { return .response(.error(413, "requests have no body here")) }
        guard head.method == "GET" || head.method == "HEAD" else {
            return .response(.error(405, "\(head.method.prefix(20)) is not allowed; this server is read-only", extraHeaders: [("Allow", "GET, HEAD")]))
        }
        guard Endpoints.paths.contains(head.path) else {
            return .response(.error(404, "no such path; try " + Endpoints.paths.joined(separator: ", ")))
        }
        if head.path != "/port-status" && head.path != "/" && !head.query.isEmpty {
            return .response(.error(400, "\(head.path) takes no parameters"))
        }
        switch head.path {
        case "/port-status": return .response(await portStatus(head.query))
        case "/leases": return .response(await leases())
        case "/metrics": return .response(await metrics())
        case "/healthz": return .response(await health())
        case "/": return .response(await index())
        case "/.portdash/style.css": return .response(Response(status: 200, contentType: "text/css; charset=utf-8", body: IndexPage.style))
        case "/.portdash/live.js": return .response(Response(status: 200, contentType: "text/javascript; charset=utf-8", body: IndexPage.script))
        default: return await events(headOnly: head.method == "HEAD")
        }
    }

    func portStatus(_ query: String) async -> Response {
        let parsed: PortStatusQuery
        do { parsed = try PortStatusQuery(parsing: query, maxPorts: limits.queryPorts) } catch { return error.response }
        guard let scope = parsed.scope else {
            let s = await view.state
            if let json = s.statusJSON { return .jsonBody(json) }
            return .error(503, s.problem ?? "no refresh yet")
        }
        switch await scopes.refresh(scope) {
        case .success(let r):
            if let d = r.damage { return .error(503, d.problem) }
            return .jsonBody(SnapshotJSON(r.snapshot, warnings: r.warnings, names: names.current.names, router: router).encoded())
        case .failure(let e):
            return .error(503, e.description)
        }
    }

    func index() async -> Response {
        let s = await view.state
        let all = await scopes.refresh(.listeners(within: nil, uid: nil, namespaces: true))
        let listeners: PortSnapshot? = if case .success(let r) = all { r.snapshot } else { nil }
        return IndexPage(pool: s.refresh?.snapshot, listeners: listeners, problem: s.problem, names: names.current, router: router).response()
    }

    func leases() async -> Response {
        switch await view.state.leases {
        case .success(let l): return .jsonBody(l.json)
        case .failure(let e): return .error(503, e.description)
        case nil: return .error(503, "no refresh yet")
        }
    }

    func metrics() async -> Response {
        let text = MetricsText(state: await view.state, subscribers: await hub.count, dropped: await hub.dropped).render()
        return Response(status: 200, contentType: Response.metrics, body: text)
    }

    /// 200 while the refresh loop keeps its interval (503 if it is stuck), with the numbers that say so.
    func health() async -> Response {
        let s = await view.state
        let age = monotonicSeconds() - s.lastAt
        let ok = s.refreshes > 0 && age < interval * 5 + 10
        let body = JSONNode.object([
            ("ok", .bool(ok)),
            ("refreshes", .int(Int64(s.refreshes))),
            ("secondsSinceRefresh", .fixed(age, places: 3)),
            ("intervalSeconds", .fixed(interval, places: 3)),
            ("eventSubscribers", .int(Int64(await hub.count))),
            ("problem", s.problem.map { .string($0) } ?? .null),
        ]).serialized()
        var r = Response.jsonBody(body)
        r.status = ok ? 200 : 503
        return r
    }

    func events(headOnly: Bool) async -> Reply {
        if headOnly {
            var r = Response(status: 200, contentType: Response.eventStream, body: "")
            r.streamed = true
            return .response(r)
        }
        guard let subscription = await hub.subscribe() else {
            return .response(.error(503, "too many /events clients (at most \(limits.subscribers)); try again later"))
        }
        return .events(subscription)
    }
}
