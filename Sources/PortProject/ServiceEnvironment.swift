/// The variables portdash gives a service: its own ports as PORT and
/// PORT_<NAME>, every port of the project as <SERVICE>_PORT and
/// <SERVICE>_PORT_<NAME>, then its own `env` with templates filled in.
public enum ServiceEnvironment {
    public static func variables(for service: ServiceSpec?, in project: Project, ports: [ServicePort: UInt16]) -> [(name: String, value: String)] {
        var out: [(name: String, value: String)] = []
        if let s = service {
            for p in [ServicePort(service: s.name)] + s.ports.map({ ServicePort(service: s.name, name: $0) }) {
                if let port = ports[p] { out.append((EnvName.own(p), String(port))) }
            }
        }
        for s in project.services {
            for p in [ServicePort(service: s.name)] + s.ports.map({ ServicePort(service: s.name, name: $0) }) {
                if let port = ports[p] { out.append((EnvName.shared(p), String(port))) }
            }
        }
        for e in service?.env ?? [] {
            out.removeAll { $0.name == e.name }
            out.append((e.name, PortTemplate.fill(e.value, service: service!.name, ports: ports)))
        }
        return out
    }

    /// The names portdash sets for this project: removed from the inherited
    /// environment so that a stale value from an outer shell cannot leak in.
    public static func isOurs(_ name: String, in project: Project) -> Bool {
        if name == "PORT" || name.hasPrefix("PORT_") { return true }
        return project.services.contains { name == EnvName.of($0.name) + "_PORT" || name.hasPrefix(EnvName.of($0.name) + "_PORT_") }
    }
}
