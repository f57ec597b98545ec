import PortKit

/// What changed between two scans, in words, like a DHCP server's log:
/// "5003 now held by node (pid 7712)", "5001 released".
public enum EventLog {
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
