import PortKit

/// One service of a project, as its file describes it.
public struct ServiceSpec: Sendable, Equatable {
    public var name: String
    /// Run through `/bin/sh -c`, templates filled in first.
    public var command: String
    public var preferred: UInt16?
    /// Started (and ready) before this one.
    public var dependsOn: [String] = []
    /// Extra named ports besides the main one ("debug").
    public var ports: [String] = []
    /// Extra environment, templates filled in, in file order.
    public var env: [(name: String, value: String)] = []
    public var ready: Readiness = .port
    /// Started again when it ends on its own (with backoff).
    public var restart: RestartPolicy = .no
    /// The ports its program binds by itself (`binds = 3000`), in the order
    /// of its ports: the first is moved to its main port, the next to its
    /// first named port, and so on.
    public var binds: [UInt16] = []
    /// The Host the router sends it (`proxy_host`, docs/names.md).
    public var proxyHost: ProxyHost = .client
    /// Where the service is defined, for messages.
    public var line: Int?

    public init(name: String, command: String) {
        self.name = name; self.command = command
    }

    public static func == (a: ServiceSpec, b: ServiceSpec) -> Bool {
        a.name == b.name && a.command == b.command && a.preferred == b.preferred && a.dependsOn == b.dependsOn
            && a.ports == b.ports && a.env.map(\.name) == b.env.map(\.name) && a.env.map(\.value) == b.env.map(\.value)
            && a.ready == b.ready && a.restart == b.restart && a.binds == b.binds && a.proxyHost == b.proxyHost && a.line == b.line
    }

    /// The hard-coded port moved to the port `name` (nil: the main one).
    public func binds(port name: String?) -> UInt16? {
        guard let name else { return binds.first }
        guard let i = ports.firstIndex(of: name), i + 1 < binds.count else { return nil }
        return binds[i + 1]
    }

    /// A project's service and port names: what a Procfile allows, so that
    /// "web.debug" and the environment names stay unambiguous.
    public static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 32 { return "is longer than 32 characters" }
        let ok = name.unicodeScalars.allSatisfy { u in
            (u >= "a" && u <= "z") || (u >= "A" && u <= "Z") || (u >= "0" && u <= "9") || u == "-" || u == "_"
        }
        if !ok { return "may only use letters, digits, - and _" }
        if name.allSatisfy(\.isNumber) { return "is a number" }
        return nil
    }
}

/// The Host header `portdash serve` sends a service it routes to.
public enum ProxyHost: String, Sendable, CaseIterable {
    /// The name the client asked for (`web.shop.localhost`), as it came.
    case client
    /// The upstream's own address, `127.0.0.1:PORT`: for servers that refuse
    /// a Host they do not know (Jupyter's "non-local Host", Vite's allowedHosts).
    case upstream
}

/// When a service counts as started, so that those depending on it may start.
public enum Readiness: String, Sendable, CaseIterable {
    /// Its main port is listening, by a process of its own.
    case port
    /// At once.
    case none
}
