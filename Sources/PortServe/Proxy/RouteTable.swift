import PortKit
import Synchronization

/// Where a routed name goes, as the last refresh saw the pool: the names
/// (RouteNames, from the leases in the snapshot) and, for each leased port,
/// the address its listener is bound to, so that a `::1`-only server is
/// dialled on ::1 and a 127.0.0.1-only one on 127.0.0.1.
struct RouteTable: Sendable {
    var names = RouteNames(leases: [])
    /// Port → the address to dial ("127.0.0.1", "::1", …); absent when nothing listens.
    var dial: [UInt16: String] = [:]
    /// Project root → its services with `proxy_host = "upstream"` (UpstreamHost).
    var upstreamHost: [String: Set<String>] = [:]

    init() {}

    /// `previous`: a port whose listener this snapshot did not show keeps its last address while it stays leased.
    /// `leases`: every lease of the book (by default the snapshot's); a port
    /// outside the snapshot's pool is dialled on 127.0.0.1, then ::1.
    /// `aliasOrder`: project root → the services its `<checkout>.localhost` prefers (ProjectLoader.aliasOrder).
    init(snapshot: PortSnapshot, leases: [Lease]? = nil, previous: RouteTable? = nil, aliasOrder: [String: [String]] = [:]) {
        names = RouteNames(leases: leases ?? snapshot.ports.compactMap(\.lease), aliasOrder: aliasOrder)
        for p in snapshot.ports {
            let listening = p.sockets.map(\.socket).filter { $0.state == .listen }
            if let a = RouteTable.address(listening) { dial[p.port] = a } else if p.lease != nil, let a = previous?.dial[p.port] { dial[p.port] = a }
        }
    }

    /// IPv4 first (most servers), else IPv6; a wildcard listener is dialled on loopback.
    static func address(_ sockets: [TCPSocket]) -> String? {
        if let v4 = sockets.first(where: { $0.local.family == .ipv4 }) {
            return v4.local.isWildcard ? "127.0.0.1" : v4.local.addressText
        }
        if let v6 = sockets.first(where: { $0.local.family == .ipv6 }) {
            return v6.local.isWildcard ? "::1" : v6.local.addressText
        }
        return nil
    }

    enum Decision: Sendable {
        /// The addresses to try in turn: the listener's, or both loopbacks when
        /// the last refresh saw none (it may have started since). All refused: 502.
        case upstream([Upstream.Target], RouteNames.Route)
        case unknown
    }

    func decide(_ host: String) -> Decision {
        guard let route = names.route(host: host) else { return .unknown }
        let port = route.lease.port
        let addresses = dial[port].map { [$0] } ?? ["127.0.0.1", "::1"]
        return .upstream(addresses.map { Upstream.Target(host: $0, port: port) }, route)
    }
}

/// The RouteTable shared by the refresh loop (the writer) and the connections (readers, on the event loop).
final class RouteBox: Sendable {
    private let table = Mutex(RouteTable())
    var current: RouteTable { table.withLock { $0 } }
    func set(_ t: RouteTable) { table.withLock { $0 = t } }
}
