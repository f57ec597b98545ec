/// The documented JSON shape of `portdash status --json` (docs/commands.md). Fields
/// may be added; none of these may be renamed.
public struct SnapshotJSON: Codable, Sendable, Equatable {
    public struct Range: Codable, Sendable, Equatable { public var first: UInt16; public var last: UInt16 }
    public struct Owner: Codable, Sendable, Equatable {
        public var pid: Int32
        public var name: String
        public var user: String
        public var uid: UInt32
        public var cmdline: [String]
        public var startTime: UInt64
        public var fds: [Int32]
        /// docker-proxy's target, "172.17.0.2:80".
        public var forwardsTo: String?
    }
    public struct Netns: Codable, Sendable, Equatable { public var inode: UInt64; public var name: String? }
    public struct Socket: Codable, Sendable, Equatable {
        public var address: String
        public var family: String
        public var tcpState: String
        public var inode: UInt64
        public var uid: UInt32
        public var remote: String?
        public var owners: [Owner]
        /// Set for a listener in another network namespace.
        public var netns: Netns?
    }
    public struct LeaseInfo: Codable, Sendable, Equatable {
        public var service: String
        public var kind: String
        public var status: String
        public var pid: Int32?
        public var startTime: UInt64?
        public var granted: Int64
        public var expires: Int64?
        /// "web", or "web · shop@feature-x" for a project's port.
        public var label: String
        public var project: LeaseProject?
        /// The leaseholder group (a service of `up` or `run`), and whether
        /// the service outlived a killed supervisor.
        public var group: String?
        public var leftByKilledSupervisor = false
        /// The lease's URL (RouteNames.url(of:via:)): "http://web.shop.localhost:5099/"
        /// through a running router, else "http://127.0.0.1:5001/".
        public var url: String?
    }
    public struct Probe: Codable, Sendable, Equatable { public var ipv4: String; public var ipv6: String }
    public struct Port: Codable, Sendable, Equatable {
        public var port: UInt16
        public var state: String
        public var lease: LeaseInfo?
        public var sockets: [Socket]
        public var probe: Probe
        public var connections: Int
        public var note: String?
        /// The port the leaseholder's program binds by itself, moved here.
        public var binds: UInt16?
    }

    /// The pool; nil for given ports and for every listener.
    public var range: Range?
    public var ports: [Port]
    public var takenAt: Int64
    public var unreadablePids: Int
    /// Things to fix that are not about one port (the pool overlapping the ephemeral range).
    public var warnings: [String]

    /// `names`: the routes (by default from the snapshot's leases); `router`: the running router (nil: none, URLs are direct).
    public init(_ s: PortSnapshot, warnings: [String] = [], names: RouteNames? = nil, router: RouterAddress?) {
        let names = names ?? RouteNames(leases: s.ports.compactMap(\.lease))
        self.warnings = warnings
        range = s.range.map { Range(first: $0.first, last: $0.last) }
        takenAt = s.takenAt
        unreadablePids = s.unreadablePids
        ports = s.ports.map { p in
            Port(
                port: p.port, state: p.state.rawValue,
                lease: p.lease.map { l in
                    LeaseInfo(service: l.service, kind: l.kind.rawValue, status: (p.leaseStatus ?? .idle).rawValue,
                              pid: l.owner?.pid, startTime: l.owner?.startTime, granted: l.granted, expires: l.expires,
                              label: l.label, project: l.project, group: l.owner?.group, leftByKilledSupervisor: p.leftByKilledSupervisor,
                              url: names.url(of: l, via: router))
                },
                sockets: p.sockets.map { s in
                    Socket(
                        address: s.socket.local.addressText, family: s.socket.local.family.rawValue,
                        tcpState: s.socket.state.name, inode: s.socket.inode, uid: s.socket.uid,
                        remote: s.socket.state == .listen ? nil
                            : s.socket.remote.text,
                        owners: s.owners.map { o in
                            Owner(pid: o.pid, name: o.name, user: o.user, uid: o.uid, cmdline: o.cmdline,
                                  startTime: o.startTime, fds: s.refs.filter { $0.pid == o.pid }.map(\.fd), forwardsTo: o.forwardsTo)
                        },
                        netns: s.socket.netns.map { Netns(inode: $0.inode, name: $0.name) })
                },
                probe: Probe(ipv4: p.probe.ipv4.description, ipv6: p.probe.ipv6.description),
                connections: p.connectionCount, note: p.note, binds: p.lease?.binds)
        }
    }

    /// The documented JSON text, keys in documented order.
    public func encoded() -> String { jsonValue.serialized() }

    public var jsonValue: JSONNode {
        .object([
            ("range", range.map { .object([("first", .uint(UInt64($0.first))), ("last", .uint(UInt64($0.last)))]) } ?? .null),
            ("ports", .array(ports.map(\.jsonValue))),
            ("takenAt", .int(takenAt)),
            ("unreadablePids", .int(Int64(unreadablePids))),
            ("warnings", .array(warnings.map { .string($0) })),
        ])
    }
}

extension SnapshotJSON.Port {
    var jsonValue: JSONNode {
        var pairs: [(String, JSONNode)] = [
            ("port", .uint(UInt64(port))),
            ("state", .string(state)),
            ("lease", lease?.jsonValue ?? .null),
            ("sockets", .array(sockets.map(\.jsonValue))),
            ("probe", .object([("ipv4", .string(probe.ipv4)), ("ipv6", .string(probe.ipv6))])),
            ("connections", .int(Int64(connections))),
            ("binds", binds.map { .uint(UInt64($0)) } ?? .null),
        ]
        if let note { pairs.append(("note", .string(note))) }
        return .object(pairs)
    }
}

extension SnapshotJSON.LeaseInfo {
    var jsonValue: JSONNode {
        .object([
            ("service", .string(service)),
            ("kind", .string(kind)),
            ("status", .string(status)),
            ("pid", pid.map { .int(Int64($0)) } ?? .null),
            ("startTime", startTime.map { .uint($0) } ?? .null),
            ("granted", .int(granted)),
            ("expires", expires.map { .int($0) } ?? .null),
            ("label", .string(label)),
            ("project", project.map(\.outputJSON) ?? .null),
            ("group", group.map { .string($0) } ?? .null),
            ("leftByKilledSupervisor", .bool(leftByKilledSupervisor)),
            ("url", url.map { .string($0) } ?? .null),
        ])
    }
}

extension SnapshotJSON.Socket {
    var jsonValue: JSONNode {
        var pairs: [(String, JSONNode)] = [
            ("address", .string(address)),
            ("family", .string(family)),
            ("tcpState", .string(tcpState)),
            ("inode", .uint(inode)),
            ("uid", .uint(UInt64(uid))),
        ]
        if let remote { pairs.append(("remote", .string(remote))) }
        pairs.append(("owners", .array(owners.map(\.jsonValue))))
        if let netns { pairs.append(("netns", .object([("inode", .uint(netns.inode)), ("name", netns.name.map { .string($0) } ?? .null)]))) }
        return .object(pairs)
    }
}

extension SnapshotJSON.Owner {
    var jsonValue: JSONNode {
        .object([
            ("pid", .int(Int64(pid))),
            ("name", .string(name)),
            ("user", .string(user)),
            ("uid", .uint(UInt64(uid))),
            ("cmdline", .array(cmdline.map { .string($0) })),
            ("startTime", .uint(startTime)),
            ("fds", .array(fds.map { .int(Int64($0)) })),
        ] + (forwardsTo.map { [("forwardsTo", JSONNode.string($0))] } ?? []))
    }
}
