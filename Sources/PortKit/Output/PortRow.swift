/// One port as a table row with named columns: what `status` prints and
/// the dashboard lists. Every cell has passed the sanitizer.
public struct PortRow: Sendable, Equatable {
    public enum Column: Int, CaseIterable, Sendable {
        case port, state, service, pid, user, process, address, command
    }

    public let port: UInt16
    public let state: PortState
    /// In `Column` order.
    public let cells: [String]

    public subscript(_ column: Column) -> String { cells[column.rawValue] }

    /// The columns: caps keep room for the command line (SERVICE holds a
    /// project's "web.debug · shop@feature-x"). Narrow terminals cut
    /// COMMAND first (down to its minimum, with "…"), then lose ADDRESS,
    /// USER, PROCESS and PID; SERVICE goes last: it tells which checkout
    /// holds the port.
    public static let table = TextTable([
        .init("PORT", cap: 5), .init("STATE", cap: 8), .init("SERVICE", cap: 40, dropOrder: 1),
        .init("PID", cap: 13, dropOrder: 2), .init("USER", cap: 10, dropOrder: 5), .init("PROCESS", cap: 15, dropOrder: 3),
        .init("ADDRESS", cap: 40, dropOrder: 6), .init("COMMAND"),
    ])

    public init(_ p: PortReport) {
        port = p.port
        state = p.state
        let holder = PortRow.holderCells(p)
        cells = [String(p.port), p.state.rawValue, (p.lease?.labelWithBinds ?? "") + (p.leftByKilledSupervisor ? " (\(p.lease?.leftBehindText ?? ""))" : ""), holder.pids, holder.user, holder.process,
                 PortRow.addressCell(p), holder.command].map(sanitized)
    }

    /// PID, USER, PROCESS and COMMAND: the first owner's, or why there is none.
    static func holderCells(_ p: PortReport) -> (pids: String, user: String, process: String, command: String) {
        let owners = p.owners
        var pids = owners.prefix(2).map { String($0.pid) }.joined(separator: ",")
        if owners.count > 2 { pids += "+\(owners.count - 2)" }
        var command = owners.first?.shortCommandText ?? ""
        if owners.isEmpty, let uid = p.hiddenUIDs.first {
            let user = p.sockets.first { $0.socket.uid == uid && !$0.user.isEmpty }?.user ?? String(uid)
            return ("hidden", user, "", p.hiddenHolderText(uid: uid))
        }
        if owners.isEmpty, let s = p.sockets.first {
            command = s.socket.state == .listen ? "" : "\(s.socket.state.name), no process holds it"
        } else if owners.isEmpty && p.probe.isInUse {
            command = "bind: address in use, no socket visible"
        }
        let conns = p.connectionCount
        if conns > 0 && !p.listeners.isEmpty { command = "(\(conns) conn) " + command }
        return (pids, owners.first?.user ?? "", owners.first?.name ?? "", command)
    }

    /// The listeners' addresses (else the sockets'), IPv6 in brackets, other
    /// network namespaces named.
    static func addressCell(_ p: PortReport) -> String {
        var addresses: [String] = []
        for s in (p.listeners.isEmpty ? p.sockets : p.listeners) {
            var a = s.socket.local.hostText
            if let ns = s.socket.netns { a += " (netns \(ns.name ?? String(ns.inode)))" }
            if !addresses.contains(a) { addresses.append(a) }
        }
        return addresses.prefix(2).joined(separator: ",") + (addresses.count > 2 ? "+\(addresses.count - 2)" : "")
    }
}
