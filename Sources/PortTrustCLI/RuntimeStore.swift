import PortDashCLI
import PortKit
import PortProject
import PortTrust

/// A runtime that keeps a store of its own and reads the CA from a variable
/// in its environment: Node (`NODE_EXTRA_CA_CERTS`, added to its built-in
/// roots) and Python's requests (`REQUESTS_CA_BUNDLE`, used instead of
/// certifi's bundle, so it names the system bundle, which holds the CA once
/// the system store does). Nothing to install: `trust` prints the export
/// line; `--check` runs the runtime in this environment.
struct RuntimeStore: TrustStore {
    let title: String
    let tool: Tool
    let variable: String
    /// What the variable should name.
    let value: String
    /// The runtime's arguments for the check, given the server.
    let checkArguments: @Sendable (CheckServer) -> [String]

    static func found(caPath: String, systemBundle: String?) -> [RuntimeStore] {
        var out: [RuntimeStore] = []
        if let node = Tool.find("node") {
            out.append(RuntimeStore(title: "Node", tool: node, variable: "NODE_EXTRA_CA_CERTS", value: caPath) { server in
                ["-e", RuntimeStore.nodeScript, String(server.port), CheckServer.name]
            })
        }
        if let python = Tool.find("python3") {
            out.append(RuntimeStore(title: "Python requests", tool: python, variable: "REQUESTS_CA_BUNDLE", value: systemBundle ?? caPath) { server in
                ["-c", RuntimeStore.pythonScript, String(server.port), CheckServer.name]
            })
        }
        return out
    }

    var current: String? { processEnvironment(variable) }
    var exportLine: String { "export \(variable)=\(ShellQuote.quoted(value))" }

    func install(_ ca: LocalCA) -> StoreReport {
        if current == value { return .ok("\(variable) is set (\(value))") }
        // Set to another bundle that holds the CA already (the system's): replacing it would drop that bundle's other CAs.
        if let current, ca.isIn(bundle: current) { return .ok("\(variable) is set (\(current)), which holds the CA") }
        return .yours("add to your shell's profile: \(exportLine)")
    }

    func uninstall(_ ca: LocalCA) -> StoreReport {
        current == ca.files.rootPath ? .yours("remove \(variable)=\(ca.files.rootPath) from your shell's profile") : .ok("nothing to remove")
    }

    func check(_ ca: LocalCA, server: CheckServer) -> StoreReport {
        let r = tool.run(checkArguments(server))
        if r.succeeded { return .ok("trusted (\(tool.name), \(variable)=\(current ?? "unset"))") }
        let fix = current == value || current.map { ca.isIn(bundle: $0) } == true ? "portdash trust" : exportLine
        return .failed("NOT trusted (\(tool.name): \(r.lastLine)); fix: \(fix)")
    }

    /// https.get with the name as SNI and for the certificate check, connected to 127.0.0.1.
    static let nodeScript = """
        const [port, name] = process.argv.slice(1);
        const req = require('https').get({ host: '127.0.0.1', port: Number(port), servername: name, path: '/',
          headers: { host: name }, timeout: 30000 }, (res) => { res.resume(); res.on('end', () => process.exit(0)); });
        req.on('timeout', () => { console.error('no answer'); process.exit(1); });
        req.on('error', (e) => { console.error(e.code || e.message); process.exit(1); });
        """

    /// requests when it is installed (it reads REQUESTS_CA_BUNDLE, else certifi), else the ssl module's defaults.
    static let pythonScript = """
        import sys
        port, name = int(sys.argv[1]), sys.argv[2]
        try:
            import requests
        except ImportError:
            requests = None
        if requests is not None:
            requests.get("https://127.0.0.1:%d/" % port, timeout=30).raise_for_status()
        else:
            import socket, ssl
            with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
                with ssl.create_default_context().wrap_socket(s, server_hostname=name):
                    pass
        """
}
