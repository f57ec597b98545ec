import PortKit
import NIOHTTP1

/// What the router changes in the heads it passes on (RFC 9110 §7.6).
enum ProxyHeaders {
    /// Always hop-by-hop (§7.6.1), besides whatever Connection names.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding",
                                        "upgrade", "proxy-authorization", "proxy-authenticate", "trailer"]

    /// What Connection may not take away: the request's target (Host) and
    /// its body's length (a client naming them would make the upstream read
    /// another request than the one sent).
    static let endToEnd: Set<String> = ["host", "content-length"]

    /// Removes the hop-by-hop fields; keeps Upgrade and `Connection: upgrade` when an upgrade is passed on.
    static func strip(_ headers: HTTPHeaders, keepUpgrade: Bool) -> HTTPHeaders {
        var named = hopByHop
        for value in headers["connection"] {
            for token in value.split(separator: ",") { named.insert(token.trimming(" \t").lowercased()) }
        }
        named.subtract(endToEnd)
        var out = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if keepUpgrade && lower == "upgrade" { out.add(name: name, value: value); continue }
            if !named.contains(lower) { out.add(name: name, value: value) }
        }
        if keepUpgrade && out.contains(name: "upgrade") { out.add(name: "Connection", value: "upgrade") }
        return out
    }

    /// Whether the head asks to switch protocols (`Connection: upgrade` and an Upgrade field).
    static func isUpgrade(_ headers: HTTPHeaders) -> Bool {
        headers.contains(name: "upgrade")
            && headers["connection"].contains { $0.lowercased().split(separator: ",").contains { $0.trimming(" \t") == "upgrade" } }
    }

    static func isChunked(_ headers: HTTPHeaders) -> Bool {
        headers["transfer-encoding"].contains { $0.lowercased().contains("chunked") }
    }

    /// The request as the upstream gets it: the same method, target and Host,
    /// hop-by-hop fields out, the body framed as it came (chunked stays
    /// chunked, a length stays a length), Via in, and X-Forwarded-For/-Host/
    /// -Proto set by the router alone: whatever X-Forwarded-* or Forwarded
    /// the client sent is dropped (the router is the first proxy; a client
    /// could otherwise pose as another address or as https).
    static func request(_ head: HTTPRequestHead, client: String?, scheme: String = "http") -> HTTPRequestHead {
        let upgrade = isUpgrade(head.headers)
        var h = strip(head.headers, keepUpgrade: upgrade)
        for (name, _) in h where isForwarding(name) { h.remove(name: name) }
        if isChunked(head.headers) && !h.contains(name: "content-length") { h.add(name: "Transfer-Encoding", value: "chunked") }
        // RFC 9113 §8.2.3: an HTTP/2 client may send Cookie as several fields; HTTP/1.1 has one, its parts joined by "; ".
        let cookies = h["cookie"]
        if head.version.major == 2 && cookies.count > 1 {
            h.remove(name: "cookie")
            h.add(name: "Cookie", value: cookies.joined(separator: "; "))
        }
        if let client { h.add(name: "X-Forwarded-For", value: client) }
        if let host = head.headers["host"].first { h.add(name: "X-Forwarded-Host", value: host) }
        h.add(name: "X-Forwarded-Proto", value: scheme)
        h.add(name: "Via", value: "\(head.version.major).\(head.version.minor) \(via)")
        return HTTPRequestHead(version: .http1_1, method: head.method, uri: originForm(head.uri), headers: h)
    }

    /// The target as an origin server takes it (RFC 9112 §3.2.1): an
    /// absolute-form `http://web.localhost/x?y` becomes `/x?y`; `*` and
    /// origin-form targets stay as they are.
    static func originForm(_ uri: String) -> String {
        guard !uri.hasPrefix("/"), uri != "*", let colon = uri.firstIndex(of: ":"), uri[colon...].hasPrefix("://") else { return uri }
        let rest = uri[uri.index(colon, offsetBy: 3)...]
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return "/" }
        return rest[slash] == "/" ? String(rest[slash...]) : "/" + rest[slash...]
    }

    static func isForwarding(_ name: String) -> Bool {
        let lower = name.lowercased()
        return lower.hasPrefix("x-forwarded-") || lower == "forwarded"
    }

    /// The pseudonym in Via (§7.6.3); a request that already carries it came round again (508).
    static let via = "portdash"

    static func isLoop(_ head: HTTPRequestHead) -> Bool {
        head.headers["via"].contains { $0.split(separator: ",").contains { $0.split(separator: " ").dropFirst().first == Substring(via) } }
    }

    /// The response as the client gets it: hop-by-hop fields out, framing
    /// left to the encoder (a length stays; otherwise chunked to an HTTP/1.1
    /// client, and to an HTTP/1.0 client the body ends with the connection),
    /// `Connection: close` when this is the connection's last, and
    /// `Connection: keep-alive` to an HTTP/1.0 client whose connection stays.
    static func response(_ head: HTTPResponseHead, to version: HTTPVersion, close: Bool) -> HTTPResponseHead {
        let upgrade = head.status == .switchingProtocols
        var h = strip(head.headers, keepUpgrade: upgrade)
        if !upgrade {
            if isChunked(head.headers) && !h.contains(name: "content-length") && version == .http1_1 {
                h.add(name: "Transfer-Encoding", value: "chunked")
            }
            if close { h.add(name: "Connection", value: "close") } else if version == .http1_0 { h.add(name: "Connection", value: "keep-alive") }
        }
        return HTTPResponseHead(version: version, status: head.status, headers: h)
    }
}

extension ProxyHeaders {
    /// A response to a client on HTTP/1.0 has no chunked framing: without a
    /// Content-Length its body ends only when the connection does.
    static func needsClose(_ response: HTTPResponseHead, to version: HTTPVersion, method: HTTPMethod) -> Bool {
        guard version == .http1_0, method != .HEAD else { return false }
        let status = response.status.code
        if status == 204 || status == 304 || (100..<200).contains(status) { return false }
        return !response.headers.contains(name: "content-length")
    }
}
