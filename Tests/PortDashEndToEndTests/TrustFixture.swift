import PortKit
import PortKitTestSupport
import PortTrust
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// `portdash trust` with a home and data directory of the test's own (the
/// NSS database Chromium reads is then the test's): the system store is the
/// machine's, so every test undoes what it installed, and deinit makes sure.
final class TrustFixture {
    let dir = TestSupport.temporaryDirectory("portdash-trust")
    var home: String { dir + "/home" }
    var caDirectory: String { dir + "/data/portdash/ca" }
    var caPath: String { caDirectory + "/ca.pem" }
    /// The NSS database Chromium reads: ~/.pki/nssdb when it exists (trust makes it when there is none),
    /// else ~/.local/share/pki/nssdb (Chromium ≥ 146 makes that one on its first run).
    var nssdb: String {
        access(home + "/.pki/nssdb", F_OK) == 0 || access(home + "/.local/share/pki/nssdb", F_OK) != 0 ? home + "/.pki/nssdb" : home + "/.local/share/pki/nssdb"
    }
    static let anchors = "/usr/local/share/ca-certificates"
    static let bundle = "/etc/ssl/certs/ca-certificates.crt"
    static var isRoot: Bool { geteuid() == 0 }
    static var hasDebianStore: Bool { access(anchors, F_OK) == 0 && access("/usr/sbin/update-ca-certificates", X_OK) == 0 }

    init() { mkdir(home, 0o700) }

    var environment: [String: String] {
        ["HOME": home, "XDG_DATA_HOME": dir + "/data", "NO_COLOR": "1", "NODE_EXTRA_CA_CERTS": "", "REQUESTS_CA_BUNDLE": ""]
    }

    /// `portdash trust ARGS`; `extra` overrides the environment.
    @discardableResult
    func trust(_ args: [String] = [], extra: [String: String] = [:]) -> (status: Int32, stdout: String, stderr: String) {
        var env = environment.merging(extra) { _, b in b }
        // An empty value is an unset variable for the runtimes' checks.
        for (k, v) in env where v.isEmpty { env[k] = nil }
        let unset = environment.keys.filter { env[$0] == nil }
        let argv = ["/usr/bin/env"] + unset.flatMap { ["-u", $0] } + [TestSupport.portdashBinary, "trust"] + args
        return TestSupport.runCommand(argv, environment: env)
    }

    func ca() throws -> LocalCA { try LocalCA.load(directory: caDirectory) }

    /// The file `trust` installs into the Debian store for this CA.
    func systemFile() -> String? {
        (try? ca()).map { "\(TrustFixture.anchors)/portdash-\($0.fingerprint.prefix(8)).crt" }
    }

    /// The certificates in the system bundle, as PEM blocks.
    static func bundleCertificates() -> Set<String> {
        let text = String(decoding: TestSupport.readFile(bundle) ?? [], as: UTF8.self)
        let blocks = text.split(separator: "-----END CERTIFICATE-----").map { $0.split(whereSeparator: \.isWhitespace).joined() }
        return Set(blocks.filter { !$0.isEmpty })
    }

    /// Whether the bundle holds this CA's root.
    func bundleHasCA() -> Bool {
        let pem = String(decoding: TestSupport.readFile(caPath) ?? [], as: UTF8.self)
        guard pem.contains("BEGIN CERTIFICATE") else { return false }
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return String(decoding: TestSupport.readFile(TrustFixture.bundle) ?? [], as: UTF8.self).split(separator: "\n").joined().contains(body)
    }

    /// The nicknames in the test's NSS database (certutil -L).
    func nssNicknames() -> [String] {
        let r = TestSupport.runCommand(["certutil", "-L", "-d", "sql:" + nssdb])
        // Two heading lines, then "NICKNAME   TRUST" per certificate.
        return r.stdout.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").dropLast().joined(separator: " ") }.filter { !$0.isEmpty }
    }

    /// Takes `file` out of the Debian store behind trust's back, with the links to it.
    static func removeFromSystemStore(_ file: String) {
        let base = String(file.split(separator: "/").last!.dropLast(4))  // portdash-XXXXXXXX
        TestSupport.runCommand(["sh", "-c", "rm -f \"$1\" && find /etc/ssl/certs -maxdepth 1 -lname \"*$2*\" -delete && update-ca-certificates", "sh", file, base])
    }

    deinit {
        if let file = systemFile(), access(file, F_OK) == 0 {
            trust(["--uninstall"])
            if access(file, F_OK) == 0 { TrustFixture.removeFromSystemStore(file) }
        }
        TestSupport.removeTree(dir)
    }
}

/// A TLS server (python3's ssl module, as CI has it) serving a leaf from
/// the CA and one HTML page on 127.0.0.1.
final class TLSTestServer {
    static let marker = "portdash-tls-ok"
    let port: UInt16
    let process: ChildProcess

    init(_ leaf: IssuedLeaf, dir: String) throws {
        port = TestSupport.freeRange(count: 1).first
        TestSupport.writeFile(dir + "/chain.pem", leaf.chainPEM)
        TestSupport.writeFile(dir + "/key.pem", leaf.privateKeyPEM, mode: 0o600)
        TestSupport.writeFile(dir + "/tls.py", TLSTestServer.script)
        process = ChildProcess(["python3", dir + "/tls.py", dir + "/chain.pem", dir + "/key.pem", String(port)])
        let port = self.port
        guard waitUntil(seconds: 60, { HTTPTestClient.connect(port: port).map { close($0); return true } ?? false }) else {
            throw ServeFixture.NotServing(stderr: "the TLS test server did not listen")
        }
    }

    /// Takes `file` out of the Debian store behind trust's back, with the links to it.
    static func removeFromSystemStore(_ file: String) {
        let base = String(file.split(separator: "/").last!.dropLast(4))  // portdash-XXXXXXXX
        TestSupport.runCommand(["sh", "-c", "rm -f \"$1\" && find /etc/ssl/certs -maxdepth 1 -lname \"*$2*\" -delete && update-ca-certificates", "sh", file, base])
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.wait()
    }

    static let script = """
        import http.server, ssl, sys
        chain, key, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = b"<!doctype html><html><head><title>tls</title></head><body><p id=ok>\(marker)</p></body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            def log_message(self, *args):
                pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Page)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        server.serve_forever()

        """
}
