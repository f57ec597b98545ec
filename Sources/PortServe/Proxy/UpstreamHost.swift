import PortKit

/// `proxy_host = "upstream"` (docs/names.md): the upstream gets its own
/// address as Host, `127.0.0.1:PORT`, for servers that refuse a Host they
/// do not know (Jupyter answers "non-local Host" with 403, Vite checks
/// `server.allowedHosts`). The name asked for stays in X-Forwarded-Host.
extension RouteTable {
    /// The Host to send `route`'s upstream instead of the client's, if its service asks for it.
    func upstreamHost(for route: RouteNames.Route) -> String? {
        guard let p = route.lease.project, upstreamHost[p.root]?.contains(route.lease.service) == true else { return nil }
        return "127.0.0.1:\(route.lease.port)"
    }
}
