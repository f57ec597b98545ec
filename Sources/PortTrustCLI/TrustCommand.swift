import ArgumentParser
import PortDashCLI
import PortKit
import PortProject
import PortTrust
import Glibc

/// `portdash trust` (the `portdash` binary runs `portdash-serve trust …`, so
/// swift-certificates, swift-crypto and NIOSSL stay out of `portdash`).
public struct TrustCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "portdash trust",
        abstract: "Make a local CA that can sign only localhost names, and install it in every trust store here.",
        discussion: """
            Makes (once) a CA in $XDG_DATA_HOME/portdash/ca (~/.local/share/portdash/ca): ECDSA P-256, \
            critical Name Constraints permitting only localhost, *.localhost, 127.0.0.0/8 and ::1, so even a \
            stolen key cannot sign another name; its key 0600 in a 0700 directory. Then one line per store: the \
            system store (update-ca-certificates / update-ca-trust; as root, else the sudo line to run), the NSS \
            databases Chromium and each Firefox profile read (certutil, libnss3-tools), and what Node \
            (NODE_EXTRA_CA_CERTS), Python requests (REQUESTS_CA_BUNDLE) and curl (--cacert) need. \
            With the CA, `portdash serve` answers https://web.shop.localhost/ (docs/names.md).
            Exit status: 0 done (a step left to you is printed, not a failure); 66 no CA yet (--check, \
            --uninstall, --ca-path); 69 a store's tool failed, or --check found a store that does not trust \
            the CA; 77 the CA's directory or key is open to others.
            Examples: portdash trust; portdash trust --check; curl --cacert "$(portdash trust --ca-path)" https://web.shop.localhost/
            """)

    @Flag(help: "Print the CA certificate's path (for --cacert, NODE_EXTRA_CA_CERTS) and nothing else.")
    var caPath = false

    @Flag(help: "Remove the CA from every store it was installed in (the CA itself stays; remove its directory to forget it).")
    var uninstall = false

    @Flag(help: "A real TLS handshake per store against a throwaway server with a certificate from the CA; exit 0 only when every store found trusts it.")
    var check = false

    public init() {}

    public func validate() throws {
        if [caPath, uninstall, check].filter({ $0 }).count > 1 {
            throw ValidationError("give one of --ca-path, --uninstall, --check")
        }
    }

    public func run() throws {
        let directory = LocalCA.defaultDirectory
        if caPath {
            let ca = try Output.core { () throws(TrustError) in try LocalCA.loadChecked(directory: directory) }
            return Output.writeOut(ca.files.rootPath + "\n")
        }
        let ca: LocalCA
        if uninstall {
            ca = try Output.core { () throws(TrustError) in try TrustCommand.forRemoval(directory) }
        } else if check {
            ca = try Output.core { () throws(TrustError) in try LocalCA.loadChecked(directory: directory) }
        } else {
            let made = try Output.core { () throws(TrustError) in try LocalCA.loadOrCreate(directory: directory) }
            ca = made.ca
            Output.writeOut((made.created ? "made the local CA " : "the local CA is ") + "\(sanitized(ca.files.rootPath)) "
                     + "(\(ca.nickname); it signs only localhost, *.localhost, 127.0.0.0/8 and ::1)\n")
        }
        let stores = TrustCommand.stores(for: ca, installing: !uninstall && !check)
        if !uninstall && !check && !stores.contains(where: { $0 is SystemStore }) {
            Output.writeOut("system store: none found here (no update-ca-certificates or update-ca-trust with its anchors directory)\n")
        }
        let reports: [StoreReport]
        if check {
            reports = try TrustCommand.checkAll(stores, ca)
        } else {
            reports = stores.map { store in
                let r = uninstall ? store.uninstall(ca) : store.install(ca)
                Output.writeOut(sanitized("\(store.title): \(r.text)") + "\n")
                return r
            }
        }
        if !uninstall && !check { Output.writeOut(sanitized(TrustCommand.curlLine(ca)) + "\n") }
        if uninstall { Output.writeOut(sanitized("the CA stays in \(directory); remove that directory to forget it") + "\n") }
        let failed = reports.contains { $0.outcome == .failed } || (check && reports.contains { $0.outcome != .ok })
        if failed { throw ExitCode(69) }
    }

    /// The CA to take out of the stores: whole, or its root alone when only
    /// the intermediate or the key is damaged (said in one line).
    static func forRemoval(_ directory: String) throws(TrustError) -> LocalCA {
        do { return try LocalCA.loadChecked(directory: directory) } catch {
            guard case .damaged(let path, _) = error, path != CAFiles(directory: directory).rootPath else { throw error }
            let root = try LocalCA.rootForRemoval(directory: directory)
            Output.printError("portdash trust: " + error.description.split(separator: ";").first.map(String.init)! + "; removing its root from the stores anyway")
            return root
        }
    }

    /// Every store found here: the system's, the NSS databases, Node and Python.
    static func stores(for ca: LocalCA, installing: Bool) -> [any TrustStore] {
        let system = SystemStore.found()
        var out: [any TrustStore] = []
        if let system { out.append(system) }
        let home = StatePath.homeDirectory(processEnvironment)
        out += NSSStore.found(home: home).filter { installing || $0.exists }
        out += RuntimeStore.found(caPath: ca.files.rootPath, systemBundle: system?.family.bundle)
        return out
    }

    /// One handshake per store against one throwaway server.
    static func checkAll(_ stores: [any TrustStore], _ ca: LocalCA) throws -> [StoreReport] {
        let server: CheckServer
        do { server = try CheckServer.start(ca) } catch {
            Output.printError("portdash trust: cannot start the check's TLS server on 127.0.0.1: \(error); check the process's limits (ulimit -n)")
            throw ExitCode(71)
        }
        defer { server.stop() }
        return stores.map { store in
            let r = store.check(ca, server: server)
            Output.writeOut(sanitized("\(store.title): \(r.text)") + "\n")
            return r
        }
    }

    static func curlLine(_ ca: LocalCA) -> String {
        let path = ShellQuote.quoted(ca.files.rootPath)
        return "curl: reads the system store; elsewhere: curl --cacert \(path) (or export CURL_CA_BUNDLE=\(path))"
    }

    /// `portdash-serve trust ARGS…`: parses, runs, exits; a usage error is one line and 64, as for every verb.
    public static func runAsVerb(_ arguments: [String]) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch {
            if exitCode(for: error) == .success || message(for: error).isEmpty { exit(withError: error) }
            let line = message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
            Output.printError("portdash trust: " + line.replacingAll("Error: ", with: "") + "; see: portdash trust --help")
            exit(withError: ExitCode(64))
        }
    }
}
