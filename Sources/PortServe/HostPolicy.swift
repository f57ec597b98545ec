import PortKit
/// Which Host headers are served (DNS rebinding defence): a page on
/// another site that points its name at 127.0.0.1 still sends its own name
/// as Host, so only loopback names, the listen address itself and names
/// under `.localhost` (RFC 6761: they never leave the machine) pass, with
/// no port or the listen port. Anything else gets 421.
struct HostPolicy: Sendable {
    enum Target: Equatable, Sendable {
        /// The server's own endpoints: localhost, 127.0.0.1, [::1], the listen address, portdash.localhost.
        case local
        /// A `.localhost` name for the router, lower case, without the port.
        case routed(String)
        case foreign
    }

    let names: Set<String>
    /// The ports a Host may name: every listener's (HTTP and HTTPS).
    let ports: Set<Substring>

    static let ownName = RouteNames.routerLabel + RouteNames.suffix

    init(listen: ListenAddress, also: [ListenAddress] = []) {
        names = Set((["localhost", "127.0.0.1", "[::1]", HostPolicy.ownName] + ([listen] + also).map { $0.hostName.lowercased() }))
        ports = Set(([listen] + also).map { Substring(String($0.port)) })
    }

    func target(_ host: String) -> Target {
        var h = Substring(host.lowercased())
        if let colon = h.lastIndex(of: ":"), !h.hasSuffix("]") {
            guard ports.contains(h[h.index(after: colon)...]) else { return .foreign }
            h = h[..<colon]
        }
        if h.hasSuffix(".") && h.count > 1 { h = h.dropLast() }
        if names.contains(String(h)) { return .local }
        if h.hasSuffix(".localhost"), h.count > ".localhost".count, !h.hasPrefix("."), !h.contains("..") {
            return .routed(String(h))
        }
        return .foreign
    }

    /// The server's own endpoints serve this Host.
    func allows(_ host: String) -> Bool { target(host) == .local }

    /// The refusal for a request, or nil when its Host passes (local or routed). Exactly one Host header is required.
    func refusal(_ head: RequestHead) -> Response? {
        let hosts = head.values("Host")
        guard hosts.count == 1 else { return .error(400, hosts.isEmpty ? "Host header required" : "more than one Host header") }
        if target(hosts[0]) == .foreign {
            return .error(421, "Host \(hosts[0]) is not served here; use localhost, the listen address or a NAME.localhost")
        }
        return nil
    }
}
