import Testing
import PortKit
import PortKitTestSupport
import PortTrust
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// `portdash trust` against the real stores of this machine: the system
/// store (root only: CI runs as root), the NSS database of a home of the
/// test's own, Node and Python, and a real browser. One at a time: they
/// share the system store.
@Suite("portdash trust (the binaries, the machine's stores)", .serialized)
struct TrustTests {
    static var hasCertutil: Bool { TestSupport.runCommand(["sh", "-c", "command -v certutil && command -v tstclnt"]).status == 0 }

    @Test("trust makes the CA once, says one line per store, and --ca-path prints its certificate's path")
    func install() throws {
        let f = TrustFixture()
        let first = f.trust()
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        #expect(first.stdout.contains("made the local CA \(f.caPath) (portdash local CA "), "\(first.stdout)")
        #expect(first.stdout.contains("it signs only localhost, *.localhost, 127.0.0.0/8 and ::1"))
        if TrustFixture.hasDebianStore {
            let line = TrustFixture.isRoot ? "system store /usr/local/share/ca-certificates: installed (" : "system store /usr/local/share/ca-certificates: needs root; run: sudo install -m 644 \(f.caPath) "
            #expect(first.stdout.contains(line), "\(first.stdout)")
        }
        if Self.hasCertutil {
            #expect(first.stdout.contains("NSS db ~/.pki/nssdb (Chromium): created, and the CA installed"), "\(first.stdout)")
            #expect(f.nssNicknames().contains { $0.hasPrefix("portdash local CA ") }, "\(f.nssNicknames())")
        }
        #expect(first.stdout.contains("curl: reads the system store; elsewhere: curl --cacert \(f.caPath)"))
        if TestSupport.runCommand(["sh", "-c", "command -v node"]).status == 0 {
            #expect(first.stdout.contains("Node: add to your shell's profile: export NODE_EXTRA_CA_CERTS=\(f.caPath)"))
        }
        let again = f.trust()
        #expect(again.status == 0 && again.stdout.contains("the local CA is \(f.caPath)") && !again.stdout.contains("installed ("), "\(again.stdout)")
        if TrustFixture.isRoot && TrustFixture.hasDebianStore { #expect(again.stdout.contains("already there")) }
        let path = f.trust(["--ca-path"])
        #expect(path.status == 0 && path.stdout == f.caPath + "\n")
        #expect(f.trust(["--uninstall"]).status == 0)
    }

    @Test("before trust: --check, --uninstall and --ca-path say there is no CA (66); two actions at once are a usage error (64)")
    func noCA() {
        let f = TrustFixture()
        for args in [["--check"], ["--uninstall"], ["--ca-path"]] {
            let r = f.trust(args)
            #expect(r.status == 66 && r.stderr.contains("no local CA in \(f.caDirectory) yet; make one with: portdash trust"), "\(args) \(r.stderr)")
        }
        let both = f.trust(["--check", "--uninstall"])
        #expect(both.status == 64 && both.stderr.split(separator: "\n").count == 1, "\(both.stderr)")
    }

    @Test("as a user (setpriv to nobody): the system store gets the exact sudo line, which works; the rest is installed; exit 0. Root may not use that user's CA (77)",
          .enabled(if: TrustFixture.isRoot && TrustFixture.hasDebianStore && access("/usr/bin/setpriv", X_OK) == 0, "needs root and setpriv to become an unprivileged user"))
    func unprivileged() throws {
        let f = TrustFixture()
        chmod(f.dir, 0o755)
        chown(f.home, 65534, 65534)
        let data = f.dir + "/data"
        mkdir(data, 0o700)
        chown(data, 65534, 65534)
        let r = TestSupport.runCommand(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                        TestSupport.portdashBinary, "trust"], environment: f.environment.filter { !$0.value.isEmpty })
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let prefix = "system store /usr/local/share/ca-certificates: needs root; run: "
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix(prefix) }, "\(r.stdout)")
        let command = String(line.dropFirst(prefix.count))
        // The fingerprint as OpenSSL computes it (root cannot load that user's CA: strict modes).
        let sha = TestSupport.runCommand(["sh", "-c", "openssl x509 -in \"$1\" -outform DER | sha256sum", "sh", f.caPath]).stdout
        let file = "/usr/local/share/ca-certificates/portdash-\(sha.prefix(8)).crt"
        #expect(command == "sudo install -m 644 \(f.caPath) \(file) && sudo update-ca-certificates")
        if Self.hasCertutil { #expect(r.stdout.contains("NSS db ~/.pki/nssdb (Chromium): created, and the CA installed"), "\(r.stdout)") }
        defer { TrustFixture.removeFromSystemStore(file) }
        // The line as printed, as root (sudo is that here).
        let ran = TestSupport.runCommand(["sh", "-c", command.replacingAll("sudo ", with: "")])
        #expect(ran.status == 0, "\(ran.stderr)")
        #expect(access(file, F_OK) == 0 && f.bundleHasCA())
        // Root with that user's CA directory: refused, not used.
        let asRoot = f.trust(["--check"])
        #expect(asRoot.status == 77 && asRoot.stderr.contains("belongs to uid 65534"), "\(asRoot.stderr)")
    }

    @Test("each Firefox profile's NSS database gets the CA, --check shakes hands through it, --uninstall takes it out",
          .enabled(if: hasCertutil, "certutil is not installed (libnss3-tools)"))
    func firefoxProfiles() throws {
        let f = TrustFixture()
        let profile = f.home + "/.mozilla/firefox/abcd1234.default-release"
        TestSupport.runCommand(["mkdir", "-p", profile])
        #expect(TestSupport.runCommand(["certutil", "-N", "--empty-password", "-d", "sql:" + profile]).status == 0)
        let r = f.trust()
        #expect(r.stdout.contains("NSS db ~/.mozilla/firefox/abcd1234.default-release (Firefox profile abcd1234.default-release): installed"), "\(r.stdout)")
        let listed = TestSupport.runCommand(["certutil", "-L", "-d", "sql:" + profile]).stdout
        #expect(listed.contains(try f.ca().nickname))
        let check = f.trust(["--check"])
        #expect(check.stdout.contains("(Firefox profile abcd1234.default-release): trusted (tstclnt handshake)"), "\(check.stdout)")
        let gone = f.trust(["--uninstall"])
        #expect(gone.stdout.contains("(Firefox profile abcd1234.default-release): removed"), "\(gone.stdout)")
        #expect(!TestSupport.runCommand(["certutil", "-L", "-d", "sql:" + profile]).stdout.contains("portdash local CA"))
    }

    @Test("--check: a real handshake per store; 0 only when every store trusts the CA, else 69 naming each and its fix",
          .enabled(if: TrustFixture.isRoot && TrustFixture.hasDebianStore, "the system store needs root (CI runs as root)"))
    func check() throws {
        let f = TrustFixture()
        #expect(f.trust().status == 0)
        let trusted = ["NODE_EXTRA_CA_CERTS": f.caPath, "REQUESTS_CA_BUNDLE": TrustFixture.bundle]
        let ok = f.trust(["--check"], extra: trusted)
        #expect(ok.status == 0, "\(ok.stdout)\(ok.stderr)")
        #expect(ok.stdout.contains("system store /usr/local/share/ca-certificates: trusted (curl --cacert /etc/ssl/certs/ca-certificates.crt)")
                || ok.stdout.contains("system store /usr/local/share/ca-certificates: trusted (openssl s_client"), "\(ok.stdout)")
        if Self.hasCertutil { #expect(ok.stdout.contains("NSS db ~/.pki/nssdb (Chromium): trusted (tstclnt handshake)"), "\(ok.stdout)") }
        let lines = ok.stdout.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { $0.contains(": trusted (") }, "\(ok.stdout)")

        // Node and Python without their variables: Node's own roots and certifi do not have it.
        let bare = f.trust(["--check"])
        if TestSupport.runCommand(["sh", "-c", "command -v node"]).status == 0 {
            #expect(bare.status == 69 && bare.stdout.contains("Node: NOT trusted (node: ") && bare.stdout.contains("fix: export NODE_EXTRA_CA_CERTS=\(f.caPath)"),
                    "\(bare.stdout)")
        }

        #expect(f.trust(["--uninstall"]).status == 0)
        let gone = f.trust(["--check"], extra: trusted)
        #expect(gone.status == 69)
        #expect(gone.stdout.contains("system store /usr/local/share/ca-certificates: NOT trusted (") && gone.stdout.contains("fix: portdash trust"), "\(gone.stdout)")
        if Self.hasCertutil { #expect(gone.stdout.contains("NSS db ~/.pki/nssdb (Chromium): NOT trusted (tstclnt: "), "\(gone.stdout)") }
    }

    @Test("--uninstall leaves every store as it was: no file of ours in the system store, the bundle as before, the NSS db without it",
          .enabled(if: TrustFixture.isRoot && TrustFixture.hasDebianStore, "the system store needs root (CI runs as root)"))
    func uninstall() throws {
        let f = TrustFixture()
        let anchorsBefore = TestSupport.runCommand(["ls", "-A", TrustFixture.anchors]).stdout
        let linksBefore = TestSupport.runCommand(["ls", "-A", "/etc/ssl/certs"]).stdout
        let bundleBefore = TrustFixture.bundleCertificates()
        #expect(f.trust().status == 0)
        let file = try #require(f.systemFile())
        #expect(access(file, F_OK) == 0 && f.bundleHasCA())
        if Self.hasCertutil { #expect(f.nssNicknames().count == 1) }
        let r = f.trust(["--uninstall"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("system store /usr/local/share/ca-certificates: removed (\(file), update-ca-certificates)"), "\(r.stdout)")
        if Self.hasCertutil {
            #expect(r.stdout.contains("NSS db ~/.pki/nssdb (Chromium): removed"))
            #expect(f.nssNicknames().isEmpty)
        }
        #expect(r.stdout.contains("the CA stays in \(f.caDirectory)"))
        #expect(access(file, F_OK) != 0 && !f.bundleHasCA())
        #expect(TestSupport.runCommand(["ls", "-A", TrustFixture.anchors]).stdout == anchorsBefore)
        // No dangling link left in /etc/ssl/certs (the hashed directory OpenSSL's CApath reads).
        #expect(TestSupport.runCommand(["ls", "-A", "/etc/ssl/certs"]).stdout == linksBefore)
        #expect(TrustFixture.bundleCertificates() == bundleBefore)
        let twice = f.trust(["--uninstall"])
        #expect(twice.status == 0 && twice.stdout.contains("system store /usr/local/share/ca-certificates: not there"))
    }

    @Test("curl over the system store: refused before trust, accepted after, refused after --uninstall",
          .enabled(if: TrustFixture.isRoot && TrustFixture.hasDebianStore, "the system store needs root (CI runs as root)"))
    func curlSystemStore() throws {
        let f = TrustFixture()
        #expect(f.trust().status == 0)
        _ = f.trust(["--uninstall"])
        let server = try TLSTestServer(try f.ca().issueLeaf(dnsNames: ["web.shop.localhost"], ipAddresses: [], now: Date()), dir: f.dir)
        let curl = ["curl", "--silent", "--show-error", "--max-time", "30", "--resolve", "web.shop.localhost:\(server.port):127.0.0.1",
                    "https://web.shop.localhost:\(server.port)/"]
        let before = TestSupport.runCommand(curl)
        #expect(before.status == 60, "\(before)")
        #expect(f.trust().status == 0)
        let after = TestSupport.runCommand(curl)
        #expect(after.status == 0 && after.stdout.contains(TLSTestServer.marker), "\(after)")
        #expect(f.trust(["--uninstall"]).status == 0)
        #expect(TestSupport.runCommand(curl).status == 60)
    }

    @Test("curl --cacert with the path --ca-path prints: accepted with no store touched; the same name without it is refused")
    func curlCACert() throws {
        let f = TrustFixture()
        let ca = try LocalCA.loadOrCreate(directory: f.caDirectory).ca
        let server = try TLSTestServer(try ca.issueLeaf(dnsNames: ["web.shop.localhost"], ipAddresses: ["127.0.0.1"], now: Date()), dir: f.dir)
        let path = String(f.trust(["--ca-path"]).stdout.split(separator: "\n").first ?? "")
        #expect(path == f.caPath)
        let url = "https://web.shop.localhost:\(server.port)/"
        let resolve = "web.shop.localhost:\(server.port):127.0.0.1"
        let with = TestSupport.runCommand(["curl", "--silent", "--show-error", "--max-time", "30", "--cacert", path, "--resolve", resolve, url])
        #expect(with.status == 0 && with.stdout.contains(TLSTestServer.marker), "\(with)")
        let env = TestSupport.runCommand(["curl", "--silent", "--show-error", "--max-time", "30", "--resolve", resolve, url], environment: ["CURL_CA_BUNDLE": path])
        #expect(env.status == 0 && env.stdout.contains(TLSTestServer.marker), "\(env)")
        let without = TestSupport.runCommand(["curl", "--silent", "--show-error", "--max-time", "30", "--resolve", resolve, url])
        #expect(without.status == 60, "\(without)")
    }

    static var chromium: String? {
        ([String](["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"])).first { access($0, X_OK) == 0 }
    }

    /// Headless Chromium's DOM of `url`, with the test's HOME (and so its NSS database).
    static func dumpDOM(_ url: String, _ f: TrustFixture, profile: String) -> (status: Int32, stdout: String, stderr: String) {
        TestSupport.runCommand(["timeout", "120", chromium!, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                "--user-data-dir=\(f.dir)/\(profile)", "--dump-dom", url], environment: ["HOME": f.home])
    }

    @Test("a real browser: headless Chromium with the NSS database trust wrote loads https://web.shop.localhost:PORT/ with no certificate error",
          .enabled(if: chromium != nil, "chromium is not installed (.ci/run installs it)"),
          .enabled(if: hasCertutil, "certutil is not installed (libnss3-tools)"))
    func chromiumLoadsPage() throws {
        let f = TrustFixture()
        let ca = try LocalCA.loadOrCreate(directory: f.caDirectory).ca
        let server = try TLSTestServer(try ca.issueLeaf(dnsNames: ["web.shop.localhost"], ipAddresses: [], now: Date()), dir: f.dir)
        let url = "https://web.shop.localhost:\(server.port)/"
        // Before trust: an interstitial (or nothing), not the page.
        let before = Self.dumpDOM(url, f, profile: "p1")
        #expect(!before.stdout.contains(TLSTestServer.marker), "\(before.stdout)")
        // Chromium ≥ 146 has just made ~/.local/share/pki/nssdb (its default when ~/.pki/nssdb is absent): trust finds that one.
        let installed = f.trust()
        #expect(installed.status == 0 && installed.stdout.contains("NSS db ~/\(f.nssdb.dropFirst(f.home.count + 1)) (Chromium): installed"), "\(installed.stdout)")
        let after = Self.dumpDOM(url, f, profile: "p2")
        #expect(after.stdout.contains(TLSTestServer.marker), "\(after.stdout)\n\(after.stderr.suffix(2000))")
        // The NSS database alone does it: with the CA gone from the system store (as root trust put it there too), the page still loads.
        if let file = f.systemFile(), access(file, F_OK) == 0 {
            TrustFixture.removeFromSystemStore(file)
            let nssOnly = Self.dumpDOM(url, f, profile: "p3")
            #expect(nssOnly.stdout.contains(TLSTestServer.marker), "\(nssOnly.stdout)")
        }
        // And without it there either: no page.
        let del = TestSupport.runCommand(["certutil", "-D", "-d", "sql:" + f.nssdb, "-n", ca.nickname])
        #expect(del.status == 0, "\(del.stderr)")
        let removed = Self.dumpDOM(url, f, profile: "p4")
        #expect(!removed.stdout.contains(TLSTestServer.marker), "\(removed.stdout)")
        #expect(f.trust(["--uninstall"]).status == 0)
    }
}
