import PortKit

/// The rules between a project's services, checked before anything is
/// leased or started: dependencies that exist and make no cycle, templates
/// that name a service and port that exist, no port asked for twice, and
/// no variable or `.localhost` name made twice.
struct ProjectCheck {
    let services: [ServiceSpec]
    /// The line of a key path (["services", "web", "env", "API_URL"]).
    let line: ([String]) -> Int?
    let path: String
    /// The services by name, for look-ups (Project keeps the index).
    let project: Project

    init(services: [ServiceSpec], line: @escaping ([String]) -> Int?, path: String) {
        self.services = services; self.line = line; self.path = path
        project = Project(root: "/", file: path, format: .toml, name: "", services: services)
    }

    func run() throws(ProjectError) {
        for s in services {
            try ports(of: s)
            try dependencies(of: s)
            try templates(of: s)
        }
        try cycles()
        try preferredPorts()
        try environmentNames()
        try routeNames()
        try binds()
    }

    func problem(_ key: [String], _ text: String) -> ProjectError {
        .badProjectFile(path: path, line: line(key), problem: text)
    }

    func service(_ name: String) -> ServiceSpec? { project.service(name) }

    /// Named ports: names, each asked for once (also once as PORT_NAME).
    func ports(of s: ServiceSpec) throws(ProjectError) {
        var seen: [String: String] = [:]
        for p in s.ports {
            if let why = ServiceSpec.nameProblem(p) { throw problem(["services", s.name, "ports"], "port name \"\(p)\" of \(s.name) \(why)") }
            if let other = seen[EnvName.of(p)] {
                throw problem(["services", s.name, "ports"], other == p
                    ? "duplicate port request: \(s.name) asks for the port \"\(p)\" twice"
                    : "duplicate port request: \(s.name)'s ports \"\(other)\" and \"\(p)\" would both be PORT_\(EnvName.of(p))")
            }
            seen[EnvName.of(p)] = p
        }
    }

    func dependencies(of s: ServiceSpec) throws(ProjectError) {
        for d in s.dependsOn where service(d) == nil {
            throw problem(["services", s.name, "depends_on"], "\(s.name) depends on \"\(d)\", which is not a service here; the services are: \(services.map(\.name).joined(separator: ", "))")
        }
    }

    func cycles() throws(ProjectError) {
        guard let cycle = ServiceGraph(project).cycle() else { return }
        throw problem(["services", cycle[0], "depends_on"], "dependency cycle: \(cycle.joined(separator: " → ")); a service cannot wait for itself")
    }

    /// Every template in `command` and `env` names a service and a port it has.
    func templates(of s: ServiceSpec) throws(ProjectError) {
        let texts = [(["services", s.name, "command"], s.command)] + s.env.map { (["services", s.name, "env", $0.name], $0.value) }
        for (key, text) in texts {
            let refs: [PortTemplate.Reference]
            do { refs = try PortTemplate.references(in: text) } catch {
                guard case .malformed(let t) = error else { continue }
                throw problem(key, "template \(t) is none of {port}, {port.NAME}, {SERVICE.port}, {SERVICE.port.NAME}")
            }
            for r in refs {
                guard let target = service(r.service ?? s.name) else {
                    throw problem(key, "template \(r.text) names no service of this project; the services are: \(services.map(\.name).joined(separator: ", "))")
                }
                if let n = r.portName, !target.ports.contains(n) {
                    let has = target.ports.isEmpty ? "no named ports" : "the ports " + target.ports.joined(separator: ", ")
                    throw problem(key, "template \(r.text) names port \"\(n)\", but \(target.name) has \(has) (ports = [\"\(n)\"] adds it)")
                }
            }
        }
    }

    /// Two services cannot both prefer one port: one of them would never get it.
    func preferredPorts() throws(ProjectError) {
        var seen: [UInt16: String] = [:]
        for s in services {
            guard let p = s.preferred else { continue }
            if let other = seen[p] {
                throw problem(["services", s.name, "preferred"], "duplicate port request: \(other) and \(s.name) both prefer port \(p)")
            }
            seen[p] = s.name
        }
    }

    /// Two ports that would set one variable: "api-v2" and "api_v2" (both
    /// API_V2_PORT), `a`'s port "port" and a service `a_port` (both
    /// A_PORT_PORT), a service `port` and a named port "port" (PORT_PORT).
    func environmentNames() throws(ProjectError) {
        guard let (a, b, viewer) = PortVariable.clash(in: services) else { return }
        let key = ["services", b.port.service] + (b.port.name == nil ? [] : ["ports"])
        throw problem(key, "\(a.origin) and \(b.origin) would both be \(b.name)\(viewer.map { " in \($0)'s environment" } ?? ""); rename one")
    }

    /// Two services, or two named ports of one service, whose names make one
    /// DNS label (RouteNames.label): `w-eb` and `w__eb` would both be
    /// w-eb.<checkout>.localhost, and the router (and W__EB_URL) would send
    /// one's requests to the other.
    func routeNames() throws(ProjectError) {
        var services: [String: String] = [:]
        for s in self.services {
            let label = RouteNames.label(s.name)
            if let other = services[label] {
                throw problem(["services", s.name], "the services \(other) and \(s.name) would both be named \(label).<checkout>.localhost; rename one")
            }
            services[label] = s.name
            var ports: [String: String] = [:]
            for p in s.ports {
                let portLabel = RouteNames.label(p)
                if let other = ports[portLabel] {
                    throw problem(["services", s.name, "ports"], "\(s.name)'s ports \"\(other)\" and \"\(p)\" would both be named \(portLabel).\(label).<checkout>.localhost; rename one")
                }
                ports[portLabel] = p
            }
        }
    }
}
