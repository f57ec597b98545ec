import PortKit

/// The scheme and port one listener serves: what the URLs in its pages say
/// (the names it routes, the live page) and what X-Forwarded-Proto tells
/// an upstream. The default port of the scheme (80, 443) is left out.
struct RouterOrigin: Sendable, Equatable {
    var scheme: String
    var port: UInt16

    static func http(_ port: UInt16) -> RouterOrigin { RouterOrigin(scheme: "http", port: port) }
    static func https(_ port: UInt16) -> RouterOrigin { RouterOrigin(scheme: "https", port: port) }

    var isTLS: Bool { scheme == "https" }

    /// "http://web.shop.localhost:5099/", "https://web.shop.localhost/".
    func url(host: String) -> String {
        if !isTLS { return RouteNames.url(host: host, routerPort: port) }
        return port == 443 ? "https://\(host)/" : "https://\(host):\(port)/"
    }

    /// The live page (the index of portdash.localhost) through this listener.
    var livePage: String { url(host: HostPolicy.ownName) }
}
