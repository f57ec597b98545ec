/// Which Host headers are served (DNS rebinding defence): a page on
/// another site that points its name at 127.0.0.1 still sends its own name
/// as Host, so only loopback names and the listen address itself pass,
/// with no port or the listen port. Anything else gets 421.
struct HostPolicy: Sendable {
    let names: Set<String>
    let port: UInt16

    init(listen: ListenAddress) {
        names = ["localhost", "127.0.0.1", "[::1]", listen.hostName.lowercased()]
        port = listen.port
    }

    func allows(_ host: String) -> Bool {
        let h = host.lowercased()
        if names.contains(h) { return true }
        guard let colon = h.lastIndex(of: ":"), !h.hasSuffix("]") else { return false }
        return names.contains(String(h[..<colon])) && h[h.index(after: colon)...] == Substring(String(port))
    }

    /// The refusal for a request, or nil when its Host passes. Exactly one Host header is required.
    func refusal(_ head: RequestHead) -> Response? {
        let hosts = head.values("Host")
        guard hosts.count == 1 else { return .error(400, hosts.isEmpty ? "Host header required" : "more than one Host header") }
        return allows(hosts[0]) ? nil : .error(421, "Host \(hosts[0]) is not served here; use localhost or the listen address")
    }
}
