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

/// The whole path a person takes: `portdash trust`, `portdash serve`
/// (HTTPS by default once the CA exists), a lease with a server behind it,
/// and clients that check certificates — curl and a real browser. In
/// TrustTests' serialized suite: it installs into the machine's stores.
extension TrustTests {
    /// A python http.server on `port` serving a page with `marker`.
    static func upstream(port: UInt16, dir: String, marker: String) -> ChildProcess {
        mkdir(dir + "/site", 0o755)
        TestSupport.writeFile(dir + "/site/index.html", "<html><body><p>\(marker)</p></body></html>\n")
        return ChildProcess(["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dir + "/site"], captureOutput: true)
    }

    @Test("trust, then serve with its default HTTPS: leases --json says https://web.localhost:PORT/; curl gets the page over h2 (--cacert, and the system store as root); headless Chromium loads it over h2 with no certificate error",
          .enabled(if: Self.chromium != nil, "chromium is not installed (.ci/run installs it)"),
          .enabled(if: Self.hasCertutil, "certutil is not installed (libnss3-tools)"),
          .enabled(if: TestSupport.runCommand(["sh", "-c", "command -v python3 && command -v curl"]).status == 0, "needs python3 and curl"))
    func wholePath() throws {
        let f = TrustFixture()
        defer { f.trust(["--uninstall"]) }
        #expect(f.trust().status == 0)
        let range = TestSupport.freeRange(count: 2)
        let state = f.dir + "/leases.json"
        let pool = ["--range", "\(range.first)-\(range.last)", "--state", state]
        let leased = TestSupport.runCommand([TestSupport.portdashBinary, "lease", "web"] + pool, environment: f.environment)
        let port = try #require(UInt16(leased.stdout.trimming()), "\(leased.stdout)\(leased.stderr)")
        let marker = "portdash-https-\(getpid())"
        let upstream = Self.upstream(port: port, dir: f.dir, marker: marker)
        defer { upstream.signal(SIGKILL); _ = upstream.waitForExit() }
        // serve on ports of the test's own: the plain one by --listen, HTTPS by --tls-listen (the default 5443 may be taken).
        let http = TestSupport.freeRange(count: 1).first, https = TestSupport.freeRange(count: 1).first
        let serve = ChildProcess([TestSupport.serveBinary, "--listen", "127.0.0.1:\(http)", "--tls-listen", "127.0.0.1:\(https)",
                                  "--interval", "0.2"] + pool, environment: f.environment, captureOutput: true)
        defer { serve.signal(SIGTERM); _ = serve.waitForExit() }
        #expect(waitUntil { HTTPTestClient.get(port: http, "/healthz")?.status == 200 })
        let url = "https://web.localhost:\(https)/"
        // Every URL follows the router that runs: its HTTPS port.
        #expect(waitUntil {
            TestSupport.runCommand([TestSupport.portdashBinary, "leases", "--json"] + pool, environment: f.environment).stdout.contains("\"url\":\"\(url)\"")
        })
        #expect(waitUntil { HTTPTestClient.get(port: port, "/")?.status == 200 })
        let curl = ["curl", "-sS", "--max-time", "60", "--resolve", "web.localhost:\(https):127.0.0.1", "--http2", "-w", "\n%{http_version}"]
        let withCA = TestSupport.runCommand(curl + ["--cacert", f.caPath, url])
        #expect(withCA.status == 0 && withCA.stdout.contains(marker) && withCA.stdout.hasSuffix("\n2"), "\(withCA.stdout)\(withCA.stderr)")
        if TrustFixture.isRoot && TrustFixture.hasDebianStore {
            let system = TestSupport.runCommand(curl + [url])
            #expect(system.status == 0 && system.stdout.contains(marker), "\(system.stdout)\(system.stderr)")
        }
        // A name no lease has: no certificate for it, the handshake fails.
        let unknown = TestSupport.runCommand(["curl", "-sS", "--max-time", "60", "--resolve", "bank.localhost:\(https):127.0.0.1",
                                             "--cacert", f.caPath, "https://bank.localhost:\(https)/"])
        #expect(unknown.status != 0 && !unknown.stdout.contains(marker), "\(unknown.stdout)")
        // The browser, with the NSS database trust wrote, and its net log.
        let page = Self.browse(url, home: f.home, dir: f.dir + "/browser")
        #expect(page.dom.contains(marker), "\(page.dom)")
        #expect(page.netlog.contains("\"negotiated_protocol\":\"h2\""), "the net log names no h2 connection (\(page.netlog.count) bytes)")
        #expect(!page.certificateError, "a certificate error in the net log")
        // A home without that database: the same page is a certificate error (so the checks above can fail).
        mkdir(f.dir + "/stranger", 0o700)
        let stranger = Self.browse(url, home: f.dir + "/stranger", dir: f.dir + "/browser2")
        #expect(!stranger.dom.contains(marker) && stranger.certificateError, "\(stranger.dom)")
    }

    /// Headless Chromium's DOM of `url` with `home` (its NSS database), and its net log.
    static func browse(_ url: String, home: String, dir: String) -> (dom: String, netlog: String, certificateError: Bool) {
        let log = dir + ".netlog.json"
        let r = TestSupport.runCommand(["timeout", "120", chromium!, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                        "--user-data-dir=\(dir)", "--log-net-log=\(log)", "--dump-dom", url], environment: ["HOME": home])
        let netlog = String(decoding: TestSupport.readFile(log) ?? [], as: UTF8.self)
        // Certificate errors are net errors -200 to -299 (net/base/net_error_list.h); the log's constants list them all, its events none.
        return (r.stdout, netlog, netlog.contains(/"net_error":-2\d\d[,}]/))
    }

    @Test("a damaged intermediate key: --uninstall still takes the root out of every store, saying so in one line")
    func uninstallDamaged() throws {
        let f = TrustFixture()
        defer { f.trust(["--uninstall"]) }
        #expect(f.trust().status == 0)
        let file = f.systemFile(), nickname = try f.ca().nickname
        TestSupport.writeFile(f.caDirectory + "/intermediate-key.pem", "", mode: 0o600)
        let check = f.trust(["--check"])
        #expect(check.status == 65 && check.stderr.contains("intermediate-key.pem is damaged"), "\(check.stderr)")
        let r = f.trust(["--uninstall"])
        #expect(r.status == 0 && r.stderr.contains("removing its root from the stores anyway"), "\(r.stdout)\(r.stderr)")
        if TrustFixture.isRoot && TrustFixture.hasDebianStore, let file { #expect(access(file, F_OK) != 0, "\(file) is still there") }
        if Self.hasCertutil { #expect(!f.nssNicknames().contains(nickname), "\(f.nssNicknames())") }
    }
}
