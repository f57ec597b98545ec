import PortKit
import PortProject

/// The router's own answers, as a person reads them: HTML when the client
/// asks for it (a browser's Accept names text/html), plain text otherwise
/// (curl). Every outside string is escaped for where it goes.
enum ErrorPages {
    static func wantsHTML(_ accept: [String]) -> Bool { accept.contains { $0.lowercased().contains("text/html") } }

    /// 502: the name is leased, nothing listens (or the connection was refused).
    static func notRunning(_ route: RouteNames.Route, html: Bool, origin: RouterOrigin) -> Response {
        page(502, title: "\(route.host) is not running", lines: [notRunningLine(route.lease)], html: html, origin: origin)
    }

    /// "web of shop@feature-x is not running: cd /src/shop-feature-x && portdash up web"
    /// (`portdash restart web` while that checkout's up runs: StartCommand).
    static func notRunningLine(_ l: Lease) -> String {
        if let p = l.project {
            let what = p.portName.map { "port \($0) of \(l.service)" } ?? l.service
            return "\(what) of \(p.name) is not running: \(StartCommand.line(for: l, root: p.root))"
        }
        if l.kind == .reservation {
            return "nothing listens on port \(l.port), reserved for \(l.service): start it there (portdash status \(l.port))"
        }
        return "\(l.service) (port \(l.port)) is not running: portdash run \(l.service) -- COMMAND"
    }

    /// 404: a .localhost name that no lease has; lists the names there are.
    static func unknown(_ host: String, names: RouteNames, html: Bool, origin: RouterOrigin) -> Response {
        var lines = ["no lease is named \(host)."]
        if names.routes.isEmpty {
            lines.append("There are no names yet: portdash up (a project) or portdash lease NAME makes one.")
        } else {
            lines.append("Names:")
            lines += names.routes.map { "  " + origin.url(host: $0.host) + "  → port \($0.lease.port) (\($0.lease.label))" }
        }
        for c in names.collisions { lines.append("(\(c.given) is \(c.owner): \(c.wanted) was taken first)") }
        return page(404, title: "\(host): no such name", lines: lines, html: html, origin: origin, links: names.routes.map { origin.url(host: $0.host) })
    }

    /// The router's own answer: text, or an HTML page ending in a link to
    /// the live page through the listener that answers (`origin`).
    static func page(_ status: Int, title: String, lines: [String], html: Bool, origin: RouterOrigin, links: [String] = []) -> Response {
        guard html else {
            return Response(status: status, contentType: Response.text, body: lines.joined(separator: "\n") + "\n")
        }
        let linked = Set(links)
        var body = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title>"
            + "</head><body><main><h1>\(escape(title))</h1>"
        for line in lines {
            let trimmed = line.trimming(" ")
            if let url = trimmed.split(separator: " ").first.map(String.init), linked.contains(url) {
                body += "<p><a href=\"\(escape(url))\">\(escape(url))</a>\(escape(String(trimmed.dropFirst(url.count))))</p>"
            } else {
                body += "<p>\(escape(line))</p>"
            }
        }
        body += "<p><a href=\"\(escape(origin.livePage))\">portdash</a></p></main></body></html>\n"
        return Response(status: status, contentType: Response.html, body: body, extraHeaders: Response.pageHeaders)
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for c in sanitized(s) {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
