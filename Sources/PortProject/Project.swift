import PortKit

/// A project: a directory with a portdash.toml or a Procfile, and its services.
public struct Project: Sendable {
    public enum Format: String, Sendable { case toml = "portdash.toml", procfile = "Procfile" }

    /// The directory holding the file, with symbolic links resolved: the
    /// project's identity in lease keys (two worktrees are two roots).
    public let root: String
    /// The file read.
    public let file: String
    public let format: Format
    /// "shop@feature-x": the directory's name and the git branch.
    public let name: String
    /// In the file's order.
    public let services: [ServiceSpec]
    /// `[pool] range`, where the file gives one.
    public let pool: (range: PortRange, line: Int?)?
    /// Each service's place in `services` (the first, should a name repeat):
    /// a look-up per port stays cheap for a project of thousands of services.
    private let index: [String: Int]

    public init(root: String, file: String, format: Format, name: String, services: [ServiceSpec], pool: (range: PortRange, line: Int?)? = nil) {
        self.root = root; self.file = file; self.format = format; self.name = name; self.services = services; self.pool = pool
        index = Dictionary(services.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public func service(_ name: String) -> ServiceSpec? { index[name].map { services[$0] } }

    public var serviceNames: [String] { services.map(\.name) }

    /// The lease key "web" or "web.debug" names in this project, if it has
    /// that service (and that named port).
    public func key(named text: String) -> LeaseKey? {
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        guard let first = parts.first, let s = service(first) else { return nil }
        guard parts.count == 2 else { return key(s.name) }
        return s.ports.contains(parts[1]) ? key(s.name, port: parts[1]) : nil
    }

    /// The lease key of a service's port.
    public func key(_ service: String, port: String? = nil) -> LeaseKey {
        LeaseKey(service: service, project: root, portName: port)
    }
}

/// One port a project needs: a service's main port (`name` nil) or a named one.
public struct ServicePort: Hashable, Sendable, CustomStringConvertible {
    public let service: String
    public let name: String?
    public init(service: String, name: String? = nil) { self.service = service; self.name = name }
    /// "web", "web.debug".
    public var description: String { name.map { service + "." + $0 } ?? service }
}
