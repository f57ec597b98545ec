import PortKit

/// `binds` across a checkout: which hard-coded ports each service's bind
/// and connect calls are moved from, and to which leased ports.
public struct ProjectRebinding: Sendable {
    public let project: Project
    /// Every leased port of the checkout.
    public let ports: [ServicePort: UInt16]

    public init(project: Project, ports: [ServicePort: UInt16]) {
        self.project = project; self.ports = ports
    }

    /// Whether any service binds a port itself: then every service of the
    /// checkout runs under the filter, so that its connections to those
    /// ports stay inside the checkout.
    public var isUsed: Bool { project.services.contains { !$0.binds.isEmpty } }

    /// Each hard-coded port → its service port.
    public var moves: [(from: UInt16, to: ServicePort)] {
        project.services.flatMap { s in
            ([nil] + s.ports.map { Optional($0) }).compactMap { name in
                s.binds(port: name).map { (from: $0, to: ServicePort(service: s.name, name: name)) }
            }
        }
    }

    /// The rules for `service`'s processes; nil when the checkout moves no port.
    public func rules(for service: String) -> RebindRules? {
        guard isUsed else { return nil }
        var binds: [UInt16: UInt16] = [:], connects: [UInt16: UInt16] = [:]
        for m in moves {
            guard let leased = ports[m.to] else { continue }
            connects[m.from] = leased
            if m.to.service == service { binds[m.from] = leased }
        }
        return RebindRules(binds: binds, connects: connects)
    }

    /// "web binds 3000 → 5003" for each service of `order` that binds.
    public func lines(_ order: [String]) -> [String] {
        moves.filter { order.contains($0.to.service) }.compactMap { m in
            ports[m.to].map { "\(m.to.description) binds \(m.from) → \($0)" }
        }
    }
}
