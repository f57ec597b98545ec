/// A change between two snapshots, in words, like a DHCP server's log
/// ("5003 now held by node (pid 7712)", "5001 released (was web)"). The
/// dashboard's event log shows them and `serve` streams them: one
/// detection of changes, not two.
public struct PortEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case leased, reserved, released, taken, freed, conflict
    }

    public let port: UInt16
    public let kind: Kind
    public let text: String
    /// The port's state after the change.
    public let state: PortState
    /// The service a lease event is about.
    public let service: String?
    /// The holders after the change (taken, conflict) or before it (freed).
    public let pids: [Int32]

    /// What changed from `old` to `new`, port by port. A port missing from one
    /// side (the every-listener view grows and shrinks) counts as free there.
    public static func changes(from old: PortSnapshot, to new: PortSnapshot) -> [PortEvent] {
        let ports = Set(old.ports.map(\.port)).union(new.ports.map(\.port)).sorted()
        return ports.flatMap { port in
            changes(port, from: old.report(port) ?? .unheld(port), to: new.report(port) ?? .unheld(port))
        }
    }

    static func changes(_ port: UInt16, from a: PortReport, to b: PortReport) -> [PortEvent] {
        var out = leaseChanges(port, from: a, to: b)
        if let held = holderChange(port, from: a, to: b) { out.append(held) }
        if a.state != .conflict && b.state == .conflict {
            out.append(PortEvent(port: port, kind: .conflict,
                                 text: "\(port) CONFLICT: leased to \(b.lease?.label ?? "?") but held by \(b.holderSummary)",
                                 state: b.state, service: b.lease?.service, pids: b.owners.map(\.pid)))
        }
        return out
    }

    static func leaseChanges(_ port: UInt16, from a: PortReport, to b: PortReport) -> [PortEvent] {
        guard a.lease?.key != b.lease?.key || a.lease?.kind != b.lease?.kind else { return [] }
        if let l = b.lease {
            let reserved = l.kind == .reservation
            return [PortEvent(port: port, kind: reserved ? .reserved : .leased,
                              text: "\(port) \(reserved ? "reserved for" : "leased to") \(l.label)",
                              state: b.state, service: l.service, pids: [])]
        }
        guard let l = a.lease else { return [] }
        return [PortEvent(port: port, kind: .released, text: "\(port) released (was \(l.label))",
                          state: b.state, service: l.service, pids: [])]
    }

    static func holderChange(_ port: UInt16, from a: PortReport, to b: PortReport) -> PortEvent? {
        let before = Set(a.owners.map(\.pid)), after = Set(b.owners.map(\.pid))
        guard before != after || (a.state == .free) != (b.state == .free) else { return nil }
        if b.isUnheld {
            guard !before.isEmpty || a.state == .foreign || a.state == .conflict else { return nil }
            let was = a.owners.first.map { " (was \($0.name), pid \($0.pid))" } ?? ""
            return PortEvent(port: port, kind: .freed, text: "\(port) free again" + was, state: b.state,
                             service: nil, pids: a.owners.map(\.pid))
        }
        guard (!after.isEmpty && !after.isSubset(of: before)) || (after.isEmpty && !b.sockets.isEmpty && a.sockets.isEmpty) else {
            return nil
        }
        return PortEvent(port: port, kind: .taken, text: "\(port) now held by \(b.holderSummary)", state: b.state,
                         service: nil, pids: b.owners.map(\.pid))
    }

    /// What a first scan found: "first scan: 6 foreign (5000 python3, …), 1 conflict (5000)".
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
}

extension PortReport {
    /// A port nobody holds and nothing leases: what a port missing from a
    /// snapshot of listeners stands for.
    static func unheld(_ port: UInt16) -> PortReport {
        PortReport(port: port, state: .free, lease: nil, leaseStatus: nil, sockets: [],
                   probe: ProbeResult(ipv4: .free, ipv6: .free), note: nil)
    }
}
