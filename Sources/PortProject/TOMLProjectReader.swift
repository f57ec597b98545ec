import PortKit

/// portdash.toml → the project's pool and services. Every value is checked
/// for its type and every key for being one we know; the rules between
/// services (dependencies, templates, duplicate ports) are ProjectCheck's.
struct TOMLProjectReader {
    static let topKeys = ["pool", "services", "proxy"]
    static let poolKeys = ["range"]
    static let proxyKeys = ["default"]
    static let serviceKeys = ["command", "preferred", "depends_on", "ports", "env", "ready", "restart", "binds", "proxy_host"]

    let doc: TOMLDocument

    /// `[pool] range` alone: what `status` and the other verbs need, so a
    /// mistake in a service does not stop them.
    func pool() throws(ProjectError) -> (range: PortRange, line: Int?)? {
        try doc.checkKeys(doc.root, at: [], known: TOMLProjectReader.topKeys)
        guard let pool = try doc.table(doc.root, "pool", at: []) else { return nil }
        try doc.checkKeys(pool, at: ["pool"], known: TOMLProjectReader.poolKeys)
        guard let text = try doc.string(pool, "range", at: ["pool"]) else { return nil }
        do {
            return (try PortRange(parsing: text), doc.line(of: ["pool", "range"]))
        } catch {
            throw doc.problem(["pool", "range"], "range: \(error.description)")
        }
    }

    /// `[proxy] default`: the service `<checkout>.localhost` names (docs/names.md).
    func proxyDefault() throws(ProjectError) -> String? {
        guard let proxy = try doc.table(doc.root, "proxy", at: []) else { return nil }
        try doc.checkKeys(proxy, at: ["proxy"], known: TOMLProjectReader.proxyKeys)
        return try doc.string(proxy, "default", at: ["proxy"])
    }

    /// The services with `proxy_host = "upstream"`, read leniently (the
    /// router asks for nothing else, and a mistake elsewhere must not stop it).
    func upstreamHostServices() -> Set<String> {
        guard case .table(let table)? = doc.root["services"] else { return [] }
        var out: Set<String> = []
        for (name, item) in table {
            if case .table(let t) = item, case .string("upstream")? = t["proxy_host"] { out.insert(name) }
        }
        return out
    }

    /// Every service, in the order the file lists them.
    func services() throws(ProjectError) -> [ServiceSpec] {
        guard let table = try doc.table(doc.root, "services", at: []), !table.isEmpty else {
            throw doc.problem(["services"], "defines no service; add one, e.g. [services.web] with command = \"…\"")
        }
        var out: [ServiceSpec] = []
        for name in inFileOrder(Array(table.keys)) {
            let path = ["services", name]
            if let why = ServiceSpec.nameProblem(name) { throw doc.problem(path, "service name \"\(name)\" \(why)") }
            guard case .table(let t) = table[name]! else { throw doc.wrongType(path, table[name]!, expected: "a table") }
            out.append(try service(name, t))
        }
        return out
    }

    /// The services' names in the order the file lists them, nothing checked
    /// (the router's `<checkout>.localhost` needs no more).
    func serviceNames() throws(ProjectError) -> [String] {
        inFileOrder(Array(try doc.table(doc.root, "services", at: [])?.keys ?? [:].keys))
    }

    /// Service names by the line of their table (then by name: an inline table has no line of its own).
    func inFileOrder(_ names: [String]) -> [String] {
        names.sorted { (doc.line(of: ["services", $0]) ?? 0, $0) < (doc.line(of: ["services", $1]) ?? 0, $1) }
    }

    func service(_ name: String, _ t: [String: TOMLItem]) throws(ProjectError) -> ServiceSpec {
        let path = ["services", name]
        try doc.checkKeys(t, at: path, known: TOMLProjectReader.serviceKeys)
        guard let command = try doc.string(t, "command", at: path), !command.allSatisfy(\.isWhitespace) else {
            throw doc.problem(path, "service \(name) has no command; add command = \"…\"")
        }
        var s = ServiceSpec(name: name, command: command)
        s.line = doc.line(of: path)
        s.preferred = try preferred(t, at: path)
        s.dependsOn = try doc.strings(t, "depends_on", at: path) ?? []
        s.ports = try doc.strings(t, "ports", at: path) ?? []
        s.env = try env(t, at: path)
        s.binds = try binds(t, at: path)
        if let r = try doc.string(t, "ready", at: path) {
            guard let ready = Readiness(rawValue: r) else {
                throw doc.problem(path + ["ready"], "ready = \"\(r)\" is not one of \"port\" (its main port listens) or \"none\"")
            }
            s.ready = ready
        }
        if let h = try doc.string(t, "proxy_host", at: path) {
            guard let host = ProxyHost(rawValue: h) else {
                throw doc.problem(path + ["proxy_host"], "proxy_host = \"\(h)\" is not one of \"client\" (the name asked for, the default) or \"upstream\" (127.0.0.1:PORT)")
            }
            s.proxyHost = host
        }
        if let r = try doc.string(t, "restart", at: path) {
            guard let policy = RestartPolicy(rawValue: r) else {
                throw doc.problem(path + ["restart"], "restart = \"\(r)\" is not one of \"no\", \"on-failure\" or \"always\"")
            }
            s.restart = policy
        }
        return s
    }

    func preferred(_ t: [String: TOMLItem], at path: [String]) throws(ProjectError) -> UInt16? {
        guard let v = t["preferred"] else { return nil }
        guard case .integer(let n) = v, let port = UInt16(exactly: n), port > 0 else {
            throw doc.problem(path + ["preferred"], "preferred must be a port number (1-65535), not \(v == .integer(0) ? "0" : v.typeName)")
        }
        return port
    }

    /// `binds = 3000` or `binds = [3000, 3001]`: ports the program binds by itself.
    func binds(_ t: [String: TOMLItem], at path: [String]) throws(ProjectError) -> [UInt16] {
        guard let v = t["binds"] else { return [] }
        let items: [TOMLItem]
        if case .array(let a) = v { items = a } else { items = [v] }
        var out: [UInt16] = []
        for item in items {
            guard case .integer(let n) = item, let port = UInt16(exactly: n), port > 0 else {
                throw doc.problem(path + ["binds"], "binds must be the port the program binds by itself (1-65535) or a list of them, e.g. binds = 3000")
            }
            out.append(port)
        }
        return out
    }

    /// `env = { API_URL = "http://127.0.0.1:{api.port}" }`: strings, or numbers and booleans as written.
    func env(_ t: [String: TOMLItem], at path: [String]) throws(ProjectError) -> [(name: String, value: String)] {
        guard let table = try doc.table(t, "env", at: path) else { return [] }
        var out: [(name: String, value: String)] = []
        for name in table.keys.sorted() {
            guard EnvName.isValid(name) else {
                throw doc.problem(path + ["env", name], "env name \"\(name)\" is not a variable name (letters, digits and _, not starting with a digit)")
            }
            switch table[name]! {
            case .string(let s): out.append((name, s))
            case .integer(let n): out.append((name, String(n)))
            case .bool(let b): out.append((name, String(b)))
            case let v: throw doc.wrongType(path + ["env", name], v, expected: "a string")
            }
        }
        return out
    }
}
