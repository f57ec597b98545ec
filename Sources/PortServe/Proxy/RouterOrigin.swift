import PortKit

/// The scheme and port one listener serves: what the URLs in its pages say
/// (the names it routes, the live page) and what X-Forwarded-Proto tells
/// an upstream. The same rule as every other URL (RouterAddress.url: the
/// scheme's default port, 80 or 443, is left out).
typealias RouterOrigin = RouterAddress

extension RouterAddress {
    static func http(_ port: UInt16) -> RouterAddress { RouterAddress(port: port) }
    static func https(_ port: UInt16) -> RouterAddress { RouterAddress(port: port, tls: true) }

    var scheme: String { tls ? "https" : "http" }

    /// The live page (the index of portdash.localhost) through this listener.
    var livePage: String { url(host: HostPolicy.ownName) }
}
