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

    init() {}

    init(snapshot: PortSnapshot) {
        names = RouteNames(leases: snapshot.ports.compactMap(\.lease))
        for p in snapshot.ports {
            let listening = p.sockets.map(\.socket).filter { $0.state == .listen }
            if let a = RouteTable.address(listening) { dial[p.port] = a }
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
        case upstream(Upstream.Target, RouteNames.Route)
        /// A name whose port nothing listens on.
        case notRunning(RouteNames.Route)
        case unknown
    }

    func decide(_ host: String) -> Decision {
        guard let route = names.route(host: host) else { return .unknown }
        guard let address = dial[route.lease.port] else { return .notRunning(route) }
        return .upstream(Upstream.Target(host: address, port: route.lease.port), route)
    }
}

/// The RouteTable shared by the refresh loop (the writer) and the connections (readers, on the event loop).
final class RouteBox: Sendable {
    private let table = Mutex(RouteTable())
    var current: RouteTable { table.withLock { $0 } }
    func set(_ t: RouteTable) { table.withLock { $0 = t } }
}
