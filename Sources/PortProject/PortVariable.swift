/// One variable portdash sets from a project's ports, and where it comes
/// from: a service's own ports (PORT, PORT_DEBUG, in its environment only),
/// every service's ports (API_PORT, API_PORT_DEBUG), their URLs (API_URL,
/// API_URL_DEBUG) and direct URLs (API_DIRECT_URL, API_DIRECT_URL_DEBUG), in
/// every service's environment. ServiceEnvironment fills
/// these in and ProjectCheck refuses two of them with one name: one list,
/// so the two cannot disagree.
public struct PortVariable: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// PORT, PORT_<NAME>: the service's own ports.
        case own
        /// <SERVICE>_PORT, <SERVICE>_PORT_<NAME>.
        case shared
        /// <SERVICE>_URL, <SERVICE>_URL_<NAME>: through `portdash serve`'s router when one runs, else direct.
        case url
        /// <SERVICE>_DIRECT_URL, <SERVICE>_DIRECT_URL_<NAME>: `http://127.0.0.1:PORT/`, always.
        case directURL
    }

    public let name: String
    public let port: ServicePort
    public let kind: Kind

    /// The ports of a service: its main one, then its named ones.
    public static func ports(of s: ServiceSpec) -> [ServicePort] {
        [ServicePort(service: s.name)] + s.ports.map { ServicePort(service: s.name, name: $0) }
    }

    /// PORT, PORT_<NAME> of `s`.
    public static func own(_ s: ServiceSpec) -> [PortVariable] {
        ports(of: s).map { PortVariable(name: EnvName.own($0), port: $0, kind: .own) }
    }

    /// Every service's ports (<SERVICE>_PORT…), then their URLs (<SERVICE>_URL…), then their direct URLs.
    public static func everyService(_ services: [ServiceSpec]) -> [PortVariable] {
        let all = services.flatMap(ports)
        return all.map { PortVariable(name: EnvName.shared($0), port: $0, kind: .shared) }
            + all.map { PortVariable(name: EnvName.url($0), port: $0, kind: .url) }
            + all.map { PortVariable(name: EnvName.directURL($0), port: $0, kind: .directURL) }
    }

    /// "web's port \"debug\" (its own PORT_DEBUG)", "the service port's port", "api's URL".
    public var origin: String {
        let which = port.name.map { "\(port.service)'s port \"\($0)\"" } ?? "\(port.service)'s port"
        switch kind {
        case .own: return "\(which) (its own \(name))"
        case .shared: return port.name == nil ? "the service \(port.service)'s port" : which
        case .url: return port.name == nil ? "\(port.service)'s URL" : "the URL of \(which)"
        case .directURL: return port.name == nil ? "\(port.service)'s direct URL" : "the direct URL of \(which)"
        }
    }

    /// Two variables of a project with one name: the first such pair, and
    /// whose environment holds both (nil: every service's).
    public static func clash(in services: [ServiceSpec]) -> (first: PortVariable, second: PortVariable, in: String?)? {
        var seen: [String: PortVariable] = [:]
        for v in everyService(services) {
            if let other = seen[v.name] { return (other, v, nil) }
            seen[v.name] = v
        }
        for s in services {
            for v in own(s) { if let other = seen[v.name] { return (other, v, s.name) } }
        }
        return nil
    }
}
