/// What a lease is for. A lease asked for by name alone (`portdash lease
/// web`) is keyed by its service name, as before projects existed; a
/// project's port is keyed by (project root, service, port name), so two
/// checkouts of one repository — two worktrees, two clones — hold their own
/// ports under the same service names.
public struct LeaseKey: Hashable, Sendable, CustomStringConvertible {
    public var service: String
    /// The project's root directory (absolute); nil for a lease by name alone.
    public var project: String?
    /// A service's extra named port ("debug"); nil for its main port.
    public var portName: String?

    public init(service: String, project: String? = nil, portName: String? = nil) {
        self.service = service; self.project = project; self.portName = portName
    }

    /// "web", "web.debug", or "web.debug in /home/ann/shop" (for messages where no lease, so no project name, is at hand).
    public var description: String {
        let name = portName.map { service + "." + $0 } ?? service
        return project.map { "\(name) in \($0)" } ?? name
    }

    /// Orders names alone before project keys, then by project, service, port name.
    public static func ordered(_ a: LeaseKey, _ b: LeaseKey) -> Bool {
        (a.project ?? "", a.service, a.portName ?? "") < (b.project ?? "", b.service, b.portName ?? "")
    }
}
