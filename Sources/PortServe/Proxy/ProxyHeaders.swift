import PortKit
import NIOHTTP1

/// What the router changes in the heads it passes on (RFC 9110 §7.6).
enum ProxyHeaders {
    /// Always hop-by-hop (§7.6.1), besides whatever Connection names.
    static let hopByHop: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding",
                                        "upgrade", "proxy-authorization", "proxy-authenticate", "trailer"]

    /// Removes the hop-by-hop fields; keeps Upgrade and `Connection: upgrade` when an upgrade is passed on.
    static func strip(_ headers: HTTPHeaders, keepUpgrade: Bool) -> HTTPHeaders {
        var named = hopByHop
        for value in headers["connection"] {
            for token in value.split(separator: ",") { named.insert(token.trimming(" \t").lowercased()) }
        }
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
    /// hop-by-hop fields out, X-Forwarded-For/-Host/-Proto and Via in, the
    /// body framed as it came (chunked stays chunked, a length stays a length).
    static func request(_ head: HTTPRequestHead, client: String?) -> HTTPRequestHead {
        let upgrade = isUpgrade(head.headers)
        var h = strip(head.headers, keepUpgrade: upgrade)
        if isChunked(head.headers) && !h.contains(name: "content-length") { h.add(name: "Transfer-Encoding", value: "chunked") }
        if let client {
            let before = head.headers["x-forwarded-for"].joined(separator: ", ")
            h.replaceOrAdd(name: "X-Forwarded-For", value: before.isEmpty ? client : before + ", " + client)
        }
        if !h.contains(name: "x-forwarded-host"), let host = head.headers["host"].first { h.add(name: "X-Forwarded-Host", value: host) }
        if !h.contains(name: "x-forwarded-proto") { h.add(name: "X-Forwarded-Proto", value: "http") }
        h.add(name: "Via", value: "\(head.version.major).\(head.version.minor) \(via)")
        var out = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri, headers: h)
        out.version = .http1_1
        return out
    }

    /// The pseudonym in Via (§7.6.3); a request that already carries it came round again (508).
    static let via = "portdash"

    static func isLoop(_ head: HTTPRequestHead) -> Bool {
        head.headers["via"].contains { $0.split(separator: ",").contains { $0.split(separator: " ").dropFirst().first == Substring(via) } }
    }

    /// The response as the client gets it: hop-by-hop fields out, framing
    /// left to the encoder (a length stays; otherwise chunked to an HTTP/1.1
    /// client), `Connection: close` when this is the connection's last.
    static func response(_ head: HTTPResponseHead, to version: HTTPVersion, close: Bool) -> HTTPResponseHead {
        let upgrade = head.status == .switchingProtocols
        var h = strip(head.headers, keepUpgrade: upgrade)
        if !upgrade {
            if isChunked(head.headers) && !h.contains(name: "content-length") && version == .http1_1 {
                h.add(name: "Transfer-Encoding", value: "chunked")
            }
            if close { h.add(name: "Connection", value: "close") }
        }
        return HTTPResponseHead(version: version, status: head.status, headers: h)
    }
}
