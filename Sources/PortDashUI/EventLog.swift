import PortKit

/// What changed between two scans, in words, like a DHCP server's log:
/// "5003 now held by node (pid 7712)", "5001 released".
public enum EventLog {
    /// What the first scan found: "first scan: 6 foreign (5000 python3, …), 1 conflict (5000)".
    public static func summary(_ s: PortSnapshot) -> String {
        var parts: [String] = []
        for state in [PortState.conflict, .foreign, .ours] {
            let ports = s.ports.filter { $0.state == state }
            guard !ports.isEmpty else { continue }
            let list = ports.prefix(4).map { p in p.owners.first.map { "\(p.port) \($0.name)" } ?? String(p.port) }
            parts.append("\(ports.count) \(state.rawValue) (\(list.joined(separator: ", "))\(ports.count > 4 ? ", …" : ""))")
        }
        return "first scan: " + (parts.isEmpty ? "every port free" : parts.joined(separator: "; "))
    }

    public static func changes(from old: PortSnapshot, to new: PortSnapshot) -> [(text: String, style: Style)] {
        var out: [(String, Style)] = []
        for (a, b) in zip(old.ports, new.ports) where a.port == b.port {
            let port = b.port
            // Leases.
            if a.lease?.service != b.lease?.service || a.lease?.kind != b.lease?.kind {
                if let l = b.lease {
                    out.append(("\(port) \(l.kind == .reservation ? "reserved for" : "leased to") \(l.service)", .ours))
                } else if let l = a.lease {
                    out.append(("\(port) released (was \(l.service))", .normal))
                }
            }
            // Holders.
            let before = Set(a.owners.map(\.pid)), after = Set(b.owners.map(\.pid))
            if before != after || (a.state == .free) != (b.state == .free) {
                if b.state == .free || (b.sockets.isEmpty && !b.probe.isInUse) {
                    if !before.isEmpty || a.state == .foreign || a.state == .conflict {
                        out.append(("\(port) free again" + (a.owners.first.map { " (was \($0.name), pid \($0.pid))" } ?? ""), .free))
                    }
                } else if !after.isEmpty && !after.isSubset(of: before) {
                    out.append(("\(port) now held by \(b.holderSummary)", b.state == .conflict ? .conflict : .foreign))
                } else if after.isEmpty && !b.sockets.isEmpty && a.sockets.isEmpty {
                    out.append(("\(port) now held by \(b.holderSummary)", .foreign))
                }
            }
            if a.state != .conflict && b.state == .conflict {
                out.append(("\(port) CONFLICT: leased to \(b.lease?.service ?? "?") but held by \(b.holderSummary)", .conflict))
            }
        }
        return out
    }
}
