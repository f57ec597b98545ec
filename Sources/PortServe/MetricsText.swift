import PortKit

/// /metrics in the Prometheus text format 0.0.4: one gauge per port and
/// state, holders per port, leases by status, the last scan's duration,
/// refreshes and subscribers. Label values are ports and fixed words only.
struct MetricsText {
    let state: PoolState
    let subscribers: Int
    let dropped: Int

    func render() -> String {
        var out = ""
        let ports = state.refresh?.snapshot.ports ?? []
        family(&out, "portdash_port_state", "gauge", "1 if the pool port is in the state (free, ours, foreign, conflict), else 0.",
               ports.flatMap { p in PortState.allCases.map { s in ("{port=\"\(p.port)\",state=\"\(s.rawValue)\"}", p.state == s ? "1" : "0") } })
        family(&out, "portdash_port_holders", "gauge", "Processes seen holding a socket on the pool port.",
               ports.map { ("{port=\"\($0.port)\"}", String($0.owners.count)) })
        if case .success(let leases) = state.leases {
            let statuses: [LeaseStatus] = [.reserved, .active, .idle, .expired]
            family(&out, "portdash_leases", "gauge", "Leases in the state file, by status.",
                   statuses.map { ("{status=\"\($0.rawValue)\"}", String(leases.counts[$0] ?? 0)) })
        }
        family(&out, "portdash_state_file_damaged", "gauge", "1 while the state file cannot be read (portdash repair).",
               [("", state.refresh?.damage == nil && state.problem == nil ? "0" : "1")])
        family(&out, "portdash_scan_duration_seconds", "gauge", "How long the last refresh of the pool took.",
               [("", state.refresh.map { String($0.seconds) } ?? "0")])
        family(&out, "portdash_refreshes_total", "counter", "Refreshes of the pool since the server started.",
               [("", String(state.refreshes))])
        family(&out, "portdash_event_subscribers", "gauge", "Clients connected to /events.", [("", String(subscribers))])
        family(&out, "portdash_event_subscribers_dropped_total", "counter",
               "/events clients dropped because they stopped reading and their queue filled.", [("", String(dropped))])
        return out
    }

    private func family(_ out: inout String, _ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
        out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
        for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
    }
}
