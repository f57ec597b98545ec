/// The project a lease belongs to, as `portdash up` or `portdash env` wrote
/// it: enough for `leases`, `status` and the dashboard to say whose port it
/// is ("web · shop@feature-x") without reading the project's files.
public struct LeaseProject: Codable, Sendable, Equatable {
    /// The project's root directory, absolute: part of the lease's key.
    public var root: String
    /// Shown with the service: the directory's name and the git branch ("shop@feature-x").
    public var name: String
    /// The extra named port this lease is ("debug"); nil for the main port.
    public var portName: String?
    /// The service's command (templates filled in), for the details pane.
    public var command: String?
    /// The service's readiness check ("port" or "none").
    public var ready: String?

    public init(root: String, name: String, portName: String? = nil, command: String? = nil, ready: String? = nil) {
        self.root = root; self.name = name; self.portName = portName; self.command = command; self.ready = ready
    }

    /// Longest text kept per field: a state file of many leases must stay
    /// under the size limit, and these are only shown.
    public static let maxRootBytes = 1024
    public static let maxCommandBytes = 1024
}

extension LeaseProject {
    /// The fields in the order both encodings write them.
    static let fields = ["root", "name", "portName", "command", "ready"]
    /// Their values, in `fields`' order (nil: absent).
    private var values: [String?] { [root, name, portName, command, ready] }

    init(json node: JSONNode, path: String) throws(LeaseBookProblem) {
        let f = try FieldReader(node, path: path)
        root = try f.string("root")
        name = try f.string("name")
        portName = try f.optionalString("portName")
        command = try f.optionalString("command")
        ready = try f.optionalString("ready")
    }

    /// In the state file an absent field is left out (a smaller file);
    /// in `status --json` and `leases --json` it is null (every documented
    /// key is always there). Both come from `fields` and `values`.
    var json: JSONNode {
        .object(zip(LeaseProject.fields, values).compactMap { key, value in value.map { (key, JSONNode.string($0)) } })
    }

    /// `{"root", "name", "portName", "command", "ready"}`, absent ones null.
    public var outputJSON: JSONNode {
        .object(zip(LeaseProject.fields, values).map { key, value in (key, value.json) })
    }

    /// What the types alone cannot say: an absolute root, names that are names, bounded sizes.
    func problem() -> String? {
        if !root.hasPrefix("/") { return "project root \"\(sanitized(String(root.prefix(64))))\" is not an absolute path" }
        if root.utf8.count > LeaseProject.maxRootBytes { return "project root is longer than \(LeaseProject.maxRootBytes) bytes" }
        if name.isEmpty || name.utf8.count > 128 { return "project name is empty or longer than 128 bytes" }
        if let p = portName, let why = ServiceName.problem(p) { return "port \(why)" }
        if let c = command, c.utf8.count > LeaseProject.maxCommandBytes { return "command is longer than \(LeaseProject.maxCommandBytes) bytes" }
        return nil
    }
}
