import PortKit
import Glibc

/// Finds and reads the project of a directory: `portdash.toml` in it or the
/// nearest directory above it (as git finds `.git`); in the first directory
/// that has neither, a `Procfile` counts the same.
public enum ProjectLoader {
    /// The file found from `directory` upwards, or nil.
    public static func find(from directory: String) -> (dir: String, file: String, format: Project.Format)? {
        var d = directory
        while true {
            let base = d == "/" ? "" : d
            for format in [Project.Format.toml, .procfile] where access(base + "/" + format.rawValue, F_OK) == 0 {
                return (d, base + "/" + format.rawValue, format)
            }
            guard d != "/", let slash = d.lastIndex(of: "/") else { return nil }
            d = slash == d.startIndex ? "/" : String(d[..<slash])
        }
    }

    /// The whole project, every rule checked; `.noProject` when there is none.
    public static func load(from directory: String) throws(ProjectError) -> Project {
        guard let found = find(from: directory) else { throw .noProject(directory: directory) }
        guard case .text(let text) = try FileText.read(found.file, trusted: true) else { throw .noProject(directory: directory) }
        let root = realPath(found.dir)
        let name = ProjectName.of(root: root)
        switch found.format {
        case .procfile:
            let services = try ProcfileReader.services(text, path: found.file)
            try ProjectCheck(services: services, line: { _ in nil }, path: found.file).run()
            return Project(root: root, file: found.file, format: .procfile, name: name, services: services)
        case .toml:
            let reader = TOMLProjectReader(doc: try TOMLDocument(path: found.file, text: text))
            let pool = try reader.pool()
            let services = try reader.services()
            try ProjectCheck(services: services, line: reader.doc.line(of:), path: found.file).run()
            if let d = try reader.proxyDefault(), !services.contains(where: { $0.name == d }) {
                throw reader.doc.problem(["proxy", "default"], "default = \"\(d)\" is not a service of this project; the services are: \(services.map(\.name).joined(separator: ", "))")
            }
            return Project(root: root, file: found.file, format: .toml, name: name, services: services, pool: pool)
        }
    }

    /// Only `[pool] range` of the project file, if there is one: the other
    /// verbs need no more, and a mistake in a service must not stop `status`.
    public static func pool(from directory: String) throws(ProjectError) -> (range: PortRange, file: String, line: Int?)? {
        guard let found = find(from: directory), found.format == .toml,
              case .text(let text) = try FileText.read(found.file, trusted: true) else { return nil }
        guard let pool = try TOMLProjectReader(doc: try TOMLDocument(path: found.file, text: text)).pool() else { return nil }
        return (pool.range, found.file, pool.line)
    }

    /// The services `<checkout>.localhost` prefers, best first: `[proxy]
    /// default`, then every service in the order the project file in `root`
    /// lists them (portdash.toml, or a Procfile's lines). Empty when the file
    /// cannot be read (the router then takes the main port granted first).
    public static func aliasOrder(root: String) -> [String] { proxySettings(root: root).aliasOrder }

    /// What the router needs of the project file in `root` itself, read once:
    /// the alias order (above) and the services with `proxy_host = "upstream"`
    /// (none for a Procfile, or a file that cannot be read).
    public static func proxySettings(root: String) -> (aliasOrder: [String], upstreamHost: Set<String>) {
        for format in [Project.Format.toml, .procfile] {
            let file = root + "/" + format.rawValue
            guard case .text(let text)? = try? FileText.read(file, trusted: true) else { continue }
            if format == .procfile { return (((try? ProcfileReader.services(text, path: file)) ?? []).map(\.name), []) }
            guard let doc = try? TOMLDocument(path: file, text: text) else { return ([], []) }
            let reader = TOMLProjectReader(doc: doc)
            let first = (try? reader.proxyDefault()) ?? nil
            return ((first.map { [$0] } ?? []) + ((try? reader.serviceNames()) ?? []), reader.upstreamHostServices())
        }
        return ([], [])
    }

    /// realpath(3), or the path as given when it cannot be resolved.
    static func realPath(_ path: String) -> String {
        guard let p = realpath(path, nil) else { return path }
        defer { free(p) }
        return String(cString: p)
    }
}
