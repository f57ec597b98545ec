#if canImport(Glibc)
import Glibc
#endif

/// The `.localhost` name of every lease, computed from the leases alone
/// (docs/names.md). Nothing is configured by hand:
///
/// - a project service: `<service>.<checkout>.localhost` (`api.shop.localhost`),
///   where checkout is the project root's directory name as a DNS label;
/// - a project's named port: `<port>.<service>.<checkout>.localhost`;
/// - `<checkout>.localhost`: the project's default service: the first of
///   the caller's `aliasOrder` that holds a lease (`[proxy] default`, then
///   the services in the order the project file lists them); when the
///   caller knows no order (the file cannot be read), the main port granted
///   first, then by name;
/// - a plain lease or reservation: `<name>.localhost`.
///
/// One collision rule: checkout labels and plain-lease names share one
/// namespace (both are `<x>.localhost`). When two owners want the same
/// label, the one whose earliest lease was granted first keeps it; every
/// other gets `-` and four hex digits of a hash of its project root (or
/// lease name) appended: `shop`, `shop-3f2a`. The suffixed ones are listed
/// in `collisions`, so they can be shown.
public struct RouteNames: Sendable, Equatable {
    public struct Route: Sendable, Equatable {
        /// The whole host name, lower case: "web.shop.localhost".
        public let host: String
        public let lease: Lease
        /// True for `<checkout>.localhost`, the alias of the project's default service.
        public let isAlias: Bool
    }

    /// A label that was taken: `wanted` went to another owner, this one got `given`.
    public struct Collision: Sendable, Equatable {
        public let wanted: String
        public let given: String
        /// The project root, or the lease name for a plain lease.
        public let owner: String
    }

    public static let suffix = ".localhost"

    /// The router's own name's label: `portdash.localhost` (its index and endpoints).
    public static let routerLabel = "portdash"

    /// Where `portdash serve` listens by default (its --listen default).
    public static let defaultRouterPort: UInt16 = 5099

    /// Every route, sorted by host; aliases included.
    public let routes: [Route]
    public let collisions: [Collision]
    private let byHost: [String: Int]
    private let byKey: [LeaseKey: String]

    /// `aliasOrder`: project root → the services `<checkout>.localhost`
    /// prefers, best first (ProjectLoader.aliasOrder reads them).
    public init(leases: [Lease], aliasOrder: [String: [String]] = [:]) {
        // 1. Owners of first-level labels: projects (by root) and plain leases (by name).
        struct Owner { var id: String; var wanted: String; var first: Int64; var isProject: Bool }
        // `portdash.localhost` is the router's own page: it keeps the label
        // before any lease (a plain lease or a checkout named portdash gets a suffix).
        var owners: [String: Owner] = ["r:" + RouteNames.routerLabel: Owner(id: "r:" + RouteNames.routerLabel, wanted: RouteNames.routerLabel, first: .min, isProject: false)]
        for l in leases {
            let (id, wanted, isProject) = l.project.map { ("p:" + $0.root, RouteNames.label(RouteNames.directoryName($0.root)), true) }
                ?? ("l:" + l.service, RouteNames.label(l.service), false)
            if var o = owners[id] { o.first = min(o.first, l.granted); owners[id] = o } else {
                owners[id] = Owner(id: id, wanted: wanted, first: l.granted, isProject: isProject)
            }
        }
        var given: [String: String] = [:]
        var collisions: [Collision] = []
        for (wanted, group) in Dictionary(grouping: owners.values, by: \.wanted) {
            let ordered = group.sorted { ($0.first, $0.id) < ($1.first, $1.id) }
            given[ordered[0].id] = wanted
            for o in ordered.dropFirst() {
                let label = RouteNames.suffixed(wanted, hashOf: String(o.id.dropFirst(2)))
                given[o.id] = label
                collisions.append(Collision(wanted: wanted, given: label, owner: String(o.id.dropFirst(2))))
            }
        }
        // 2. The routes.
        var routes: [Route] = []
        var byKey: [LeaseKey: String] = [:]
        for l in leases {
            let host: String
            if let p = l.project, let checkout = given["p:" + p.root] {
                let service = RouteNames.label(l.service)
                host = (p.portName.map { RouteNames.label($0) + "." } ?? "") + service + "." + checkout + RouteNames.suffix
            } else if let name = given["l:" + l.service] {
                host = name + RouteNames.suffix
            } else { continue }
            routes.append(Route(host: host, lease: l, isAlias: false))
            byKey[l.key] = host
        }
        // 3. `<checkout>.localhost` → the default service of each project.
        let projects = Dictionary(grouping: leases.filter { $0.project != nil && $0.project?.portName == nil }, by: { $0.project!.root })
        for (root, mains) in projects {
            guard let checkout = given["p:" + root] else { continue }
            let chosen = (aliasOrder[root] ?? []).lazy.compactMap { d in mains.first { $0.service == d } }.first
                ?? mains.min { ($0.granted, $0.service) < ($1.granted, $1.service) }
            if let chosen { routes.append(Route(host: checkout + RouteNames.suffix, lease: chosen, isAlias: true)) }
        }
        routes.sort { $0.host < $1.host }
        // A name made twice (two services whose labels fold together) keeps the first lease only.
        var seen: [String: Int] = [:]
        var unique: [Route] = []
        for r in routes where seen[r.host] == nil {
            seen[r.host] = unique.count
            unique.append(r)
        }
        self.routes = unique
        self.byHost = seen
        self.byKey = byKey
        self.collisions = collisions.sorted { $0.given < $1.given }
    }

    /// The route for a Host header's name (any case, with or without a port or a trailing dot).
    public func route(host: String) -> Route? {
        byHost[RouteNames.hostName(host)].map { routes[$0] }
    }

    /// The name of a lease ("web.shop.localhost"), or nil if it has none.
    public func host(of lease: Lease) -> String? { byKey[lease.key] }

    /// A lease's URL: the one rule for every URL portdash gives (env, up,
    /// status --json, leases --json, /port-status, the dashboard). Through
    /// the router when one runs — `http://web.shop.localhost:5099/`,
    /// `https://web.shop.localhost/` with TLS — else straight to the port,
    /// `http://127.0.0.1:5001/`, which works with no router and where
    /// `*.localhost` does not resolve.
    public func url(of lease: Lease, via router: RouterAddress?) -> String {
        guard let router, let host = host(of: lease) else { return RouterAddress.direct(port: lease.port) }
        return router.url(host: host)
    }

    /// "Web.Shop.localhost:5099." → "web.shop.localhost".
    public static func hostName(_ header: String) -> String {
        var h = Substring(header.lowercased())
        if !h.hasPrefix("["), let colon = h.lastIndex(of: ":") { h = h[..<colon] }
        if h.hasSuffix(".") { h = h.dropLast() }
        return String(h)
    }

    /// A DNS label (RFC 1035 §2.3.1, as browsers take it): lower case a-z,
    /// 0-9 and `-`; anything else becomes `-`, runs of `-` fold to one, none
    /// at either end, at most 63 bytes; "x" if nothing is left.
    public static func label(_ text: String) -> String {
        var out = ""
        for u in text.lowercased().unicodeScalars {
            let ok = (u >= "a" && u <= "z") || (u >= "0" && u <= "9")
            if ok { out.unicodeScalars.append(u) } else if !out.isEmpty && !out.hasSuffix("-") { out += "-" }
        }
        while out.hasSuffix("-") { out.removeLast() }
        if out.count > 63 { out = String(out.prefix(63)); while out.hasSuffix("-") { out.removeLast() } }
        return out.isEmpty ? "x" : out
    }

    /// "/home/me/src/shop-feature-x/" → "shop-feature-x".
    public static func directoryName(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// `label-XXXX`: four hex digits of FNV-1a over `owner`, the label cut so the whole stays 63 bytes.
    static func suffixed(_ label: String, hashOf owner: String) -> String {
        var h: UInt32 = 2_166_136_261
        for b in owner.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        let hex = String(h & 0xFFFF, radix: 16)
        return String(label.prefix(58)) + "-" + String(repeating: "0", count: 4 - hex.count) + hex
    }
}
