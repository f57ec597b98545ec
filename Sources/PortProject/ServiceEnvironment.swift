import PortKit

/// The variables portdash gives a service: its own ports as PORT and
/// PORT_<NAME>, every port of the project as <SERVICE>_PORT and
/// <SERVICE>_PORT_<NAME>, every port's URL as <SERVICE>_URL and
/// <SERVICE>_URL_<NAME> (through `portdash serve`'s router when one runs,
/// else direct), its direct URL as <SERVICE>_DIRECT_URL…, then its own `env`
/// with templates filled in.
public enum ServiceEnvironment {
    /// `urls`: each port's URL as the lease book names it (collisions
    /// resolved, ProjectURLs.of); nil: direct URLs.
    public static func variables(for service: ServiceSpec?, in project: Project, ports: [ServicePort: UInt16],
                                 urls: [ServicePort: String]? = nil) -> [(name: String, value: String)] {
        let urls = urls ?? ProjectURLs.alone(project, ports: ports, router: nil)
        var out: [(name: String, value: String)] = []
        for v in service.map(PortVariable.own) ?? [] {
            if let port = ports[v.port] { out.append((v.name, String(port))) }
        }
        for v in PortVariable.everyService(project.services) {
            let value: String?
            switch v.kind {
            case .url: value = urls[v.port]
            case .directURL: value = ports[v.port].map(RouterAddress.direct(port:))
            case .own, .shared: value = ports[v.port].map { String($0) }
            }
            if let value { out.append((v.name, value)) }
        }
        for e in service?.env ?? [] {
            out.removeAll { $0.name == e.name }
            out.append((e.name, PortTemplate.fill(e.value, service: service!.name, ports: ports, urls: urls)))
        }
        return out
    }

    /// The names portdash sets for this project: removed from the inherited
    /// environment so that a stale value from an outer shell cannot leak in.
    public static func isOurs(_ name: String, in project: Project) -> Bool {
        if name == "PORT" || name.hasPrefix("PORT_") { return true }
        return project.services.contains {
            let n = EnvName.of($0.name)
            return ["_PORT", "_URL", "_DIRECT_URL"].contains { name == n + $0 || name.hasPrefix(n + $0 + "_") }
        }
    }
}

/// Each port's URL (RouteNames.url(of:via:): through the router when one runs, else direct).
public enum ProjectURLs {
    /// As the lease book names them: a checkout whose name another took first gets its suffixed name.
    public static func of(_ project: Project, in book: LeaseBook, ports: [ServicePort: UInt16], router: RouterAddress?) -> [ServicePort: String] {
        let names = RouteNames(leases: book.leases)
        var out: [ServicePort: String] = [:]
        for l in book.leases where l.project?.root == project.root {
            let key = ServicePort(service: l.service, name: l.project?.portName)
            if ports[key] == l.port { out[key] = names.url(of: l, via: router) }
        }
        return out.count == ports.count ? out : alone(project, ports: ports, router: router).merging(out) { _, b in b }
    }

    /// From this project's ports alone (no other checkout seen, so no collision suffix).
    public static func alone(_ project: Project, ports: [ServicePort: UInt16], router: RouterAddress?) -> [ServicePort: String] {
        let leases = ports.map { p, port in
            Lease(service: p.service, port: port, kind: .lease, granted: 0,
                  project: LeaseProject(root: project.root, name: project.name, portName: p.name))
        }
        let names = RouteNames(leases: leases)
        var out: [ServicePort: String] = [:]
        for l in leases { out[ServicePort(service: l.service, name: l.project?.portName)] = names.url(of: l, via: router) }
        return out
    }
}
