import PortKit

/// `/` (and portdash.localhost): the pool and every listener as the
/// dashboard shows them (PortRow), with each lease's URL. Plain HTML that
/// reads without JavaScript; /.portdash/live.js (same origin, so CSP
/// `default-src 'self'` holds) reloads the tables on each /events message.
struct IndexPage {
    let pool: PortSnapshot?
    let listeners: PortSnapshot?
    let problem: String?
    let names: RouteTable
    let router: RouterAddress

    func response() -> Response {
        Response(status: 200, contentType: Response.html, body: html(), extraHeaders: Response.pageHeaders)
    }

    func html() -> String {
        var out = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>portdash</title>"
            + "<meta name=\"viewport\" content=\"width=device-width\"><link rel=\"stylesheet\" href=\"/.portdash/style.css\">"
            + "<script src=\"/.portdash/live.js\" defer></script></head><body><main id=\"live\">"
        out += "<h1>portdash</h1>"
        if let problem { out += "<p class=\"problem\">\(ErrorPages.escape(problem))</p>" }
        if let pool {
            out += "<h2>Pool \(pool.range.map { "\($0)" } ?? "")</h2>" + table(pool.ports)
        } else {
            out += "<p>No refresh yet.</p>"
        }
        if let listeners {
            let outside = listeners.ports.filter { p in !(pool?.ports.contains { $0.port == p.port } ?? false) }
            out += "<h2>Every other listener</h2>" + table(outside)
        }
        if !names.names.collisions.isEmpty {
            out += "<h2>Names taken twice</h2><ul>"
            for c in names.names.collisions {
                out += "<li>\(ErrorPages.escape(c.owner)) is <b>\(ErrorPages.escape(c.given))</b> (\(ErrorPages.escape(c.wanted)) was taken first)</li>"
            }
            out += "</ul>"
        }
        out += "<p class=\"foot\">JSON: <a href=\"/port-status\">/port-status</a> · <a href=\"/leases\">/leases</a> · "
            + "<a href=\"/metrics\">/metrics</a> · <a href=\"/events\">/events</a></p></main></body></html>\n"
        return out
    }

    func table(_ ports: [PortReport]) -> String {
        var out = "<table><thead><tr><th>PORT</th><th>STATE</th><th>SERVICE</th><th>URL</th><th>PID</th><th>PROCESS</th><th>ADDRESS</th><th>COMMAND</th></tr></thead><tbody>"
        for p in ports {
            let row = PortRow(p)
            let url = p.lease.map { names.names.url(of: $0, via: router) }
            let link = url.map { "<a href=\"\(ErrorPages.escape($0))\">\(ErrorPages.escape($0))</a>" } ?? ""
            out += "<tr class=\"\(row.state.rawValue)\"><td>\(p.port)</td><td>\(row[.state])</td><td>\(ErrorPages.escape(row[.service]))</td>"
                + "<td>\(link)</td><td>\(ErrorPages.escape(row[.pid]))</td><td>\(ErrorPages.escape(row[.process]))</td>"
                + "<td>\(ErrorPages.escape(row[.address]))</td><td>\(ErrorPages.escape(row[.command]))</td></tr>"
        }
        return out + "</tbody></table>"
    }

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;background:#fff}
        table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.2em .6em;border-bottom:1px solid #ddd}
        th{font-weight:600}td:last-child{font-family:monospace;word-break:break-all}
        tr.free td:nth-child(2){color:#2a7}tr.ours td:nth-child(2){color:#27c}tr.foreign td:nth-child(2){color:#c70}
        tr.conflict td:nth-child(2){color:#c22;font-weight:600}.problem{color:#c22}.foot{color:#777}
        @media (prefers-color-scheme:dark){body{color:#ddd;background:#111}th,td{border-color:#333}}

        """

    /// Reloads <main> from / on every event (and every 30 s, in case events stop).
    static let script = """
        "use strict";
        (function () {
          let busy = false;
          async function reload() {
            if (busy) return;
            busy = true;
            try {
              const r = await fetch("/", { cache: "no-store" });
              const doc = new DOMParser().parseFromString(await r.text(), "text/html");
              const fresh = doc.getElementById("live");
              if (fresh) document.getElementById("live").replaceWith(fresh);
            } catch (e) { } finally { busy = false; }
          }
          const events = new EventSource("/events");
          events.addEventListener("port", reload);
          setInterval(reload, 30000);
        })();

        """
}
