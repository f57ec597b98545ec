import Dispatch
import Glibc
import PortKit
import PortKitTestSupport
import Synchronization
import Testing
@testable import PortServe

/// serve's HTTPS listener, in this process, with the tests' CA: ALPN h2 and
/// http/1.1 (curl), a certificate per SNI name, none for an unknown name,
/// no-SNI clients on 127.0.0.1, wss:// through the router (Python's ssl).
@Suite("the router over TLS: ALPN, SNI, certificates, wss://", .serialized)
struct TLSRouterTests {
    final class Rig {
        let dir = TestSupport.temporaryDirectory("portdash-tls")
        let range = TestSupport.freeRange(count: 2)
        let port = TestSupport.freeRange(count: 1).first
        let tlsPort = TestSupport.freeRange(count: 1).first
        let ca: TestCA
        var task: Task<Bool, Never>?
        var upstream: TestUpstream?
        var caFile: String { dir + "/ca.pem" }

        init() throws {
            ca = try TestCA()
            TestSupport.writeFile(caFile, ca.pem)
        }

        func start() async throws {
            let store = LeaseStore(path: dir + "/leases.json")
            var server = PortServer(listen: try ListenAddress(parsing: "127.0.0.1:\(port)"), range: range, store: store, interval: 0.2)
            let tlsAddress = try ListenAddress(parsing: "127.0.0.1:\(tlsPort)")
            server.tlsListen = [tlsAddress]
            server.issuer = ca
            let plain = try ListenSocket.open(server.listen), tls = try ListenSocket.open(tlsAddress)
            let tlsPort = self.tlsPort
            task = Task { await server.serve(on: [plain], tls: [PortServer.Socket(fd: tls, port: tlsPort, tls: true)]) {} }
            upstream = TestUpstream(port: range.first, address: "127.0.0.1", dir: dir)
            let reserved = await run([TestSupport.portdashBinary, "reserve", String(range.first), "app",
                                      "--range", "\(range.first)-\(range.last)", "--state", dir + "/leases.json"])
            #expect(reserved.status == 0, "\(reserved.stderr)")
            let up = await eventually { await self.curl(["--http1.1", "https://app.localhost:\(self.tlsPort)/echo"]).stdout.contains("\"family\"") }
            try #require(up, "app.localhost never answered over TLS")
        }

        func stop() async {
            task?.cancel()
            _ = await task?.value
            upstream = nil
            TestSupport.removeTree(dir)
        }

        /// curl with the tests' CA, `NAME.localhost` resolved to 127.0.0.1; output: body, then the HTTP version on the last line.
        func curl(_ args: [String]) async -> (status: Int32, stdout: String, stderr: String) {
            let resolve = ["app.localhost", "nope.localhost", "localhost"].flatMap { ["--resolve", "\($0):\(tlsPort):127.0.0.1"] }
            return await run(["curl", "-sS", "--max-time", "30", "--cacert", caFile, "-w", "\n%{http_version}"] + resolve + args)
        }
    }

    /// A blocking command on a thread of its own (the cooperative pool stays free for the server).
    static func run(_ argv: [String]) async -> (status: Int32, stdout: String, stderr: String) {
        await withCheckedContinuation { c in
            DispatchQueue.global().async { c.resume(returning: TestSupport.runCommand(argv)) }
        }
    }

    static func eventually(seconds: Double = 60, _ condition: () async -> Bool) async -> Bool {
        let deadline = monotonicSeconds() + seconds
        while monotonicSeconds() < deadline {
            if await condition() { return true }
            try? await Task.sleep(nanoseconds: 100_000_000)
        }
        return await condition()
    }

    @Test("ALPN: curl --http2 gets h2, --http1.1 gets HTTP/1.1; the upstream sees Host from :authority and X-Forwarded-Proto https")
    func alpn() async throws {
        let rig = try Rig()
        try await rig.start()
        let h2 = await rig.curl(["--http2", "https://app.localhost:\(rig.tlsPort)/echo"])
        #expect(h2.status == 0 && h2.stdout.hasSuffix("\n2"), "\(h2.stderr) \(h2.stdout)")
        #expect(h2.stdout.contains("[\"host\", \"app.localhost:\(rig.tlsPort)\"]"), "\(h2.stdout)")
        #expect(h2.stdout.contains("[\"X-Forwarded-Proto\", \"https\"]"))
        // A request body over h2 reaches the upstream whole (an HTTP/1.1 request with its length).
        TestSupport.writeFile(rig.dir + "/body", String(repeating: "x", count: 300_000))
        let upload = await rig.curl(["--http2", "--data-binary", "@" + rig.dir + "/body", "https://app.localhost:\(rig.tlsPort)/upload"])
        #expect(upload.stdout == "300000\n2", "\(upload.stderr) \(upload.stdout)")
        // Cookie sent as two HTTP/2 fields (as browsers do) reaches the upstream as one, joined by "; " (RFC 9113 §8.2.3).
        let cookies = await rig.curl(["--http2", "-H", "Cookie: session=abc", "-H", "Cookie: csrf=xyz", "https://app.localhost:\(rig.tlsPort)/echo"])
        #expect(cookies.stdout.contains("[\"Cookie\", \"session=abc; csrf=xyz\"]"), "\(cookies.stdout)")
        let h1 = await rig.curl(["--http1.1", "https://app.localhost:\(rig.tlsPort)/echo"])
        #expect(h1.status == 0 && h1.stdout.hasSuffix("\n1.1"), "\(h1.stderr) \(h1.stdout)")
        // The server's own pages over h2 too, and the 404 page names https URLs.
        let missing = await rig.curl(["--http2", "-H", "Host: nope.localhost:\(rig.tlsPort)", "https://localhost:\(rig.tlsPort)/"])
        #expect(missing.stdout.contains("https://app.localhost:\(rig.tlsPort)/"), "\(missing.stdout)")
        await rig.stop()
    }

    @Test("no SNI (https://127.0.0.1): the default certificate, valid for the loopback addresses")
    func noSNI() async throws {
        let rig = try Rig()
        try await rig.start()
        let r = await rig.curl(["https://127.0.0.1:\(rig.tlsPort)/healthz"])
        #expect(r.status == 0 && r.stdout.contains("\"ok\""), "\(r.stderr) \(r.stdout)")
        #expect(rig.ca.issued.contains(["localhost", "portdash.localhost", "127.0.0.1", "::1"]))
        await rig.stop()
    }

    @Test("an SNI naming no lease gets no certificate: the handshake fails, and nothing is issued for it")
    func unknownSNI() async throws {
        let rig = try Rig()
        try await rig.start()
        let r = await rig.curl(["https://nope.localhost:\(rig.tlsPort)/"])
        #expect(r.status == 35, "curl exit \(r.status): \(r.stderr)")  // CURLE_SSL_CONNECT_ERROR
        #expect(!rig.ca.issued.flatMap { $0 }.contains("nope.localhost"))
        #expect(rig.ca.issued.flatMap { $0 }.contains("app.localhost"))
        await rig.stop()
    }

    @Test("a name whose lease has gone keeps its certificate until it expires: its URL shows the router's 404, not a TLS error; nothing new is issued")
    func releasedName() async throws {
        let rig = try Rig()
        try await rig.start()
        let issued = rig.ca.issued.count
        let released = await Self.run([TestSupport.portdashBinary, "release", "app",
                                       "--range", "\(rig.range.first)-\(rig.range.last)", "--state", rig.dir + "/leases.json"])
        #expect(released.status == 0, "\(released.stderr)")
        let gone = await Self.eventually { await rig.curl(["https://app.localhost:\(rig.tlsPort)/"]).stdout.contains("no lease is named app.localhost") }
        let last = await rig.curl(["https://app.localhost:\(rig.tlsPort)/"])
        #expect(gone, "\(last)")
        #expect(rig.ca.issued.count == issued)
        await rig.stop()
    }

    @Test("plain HTTP sent to the HTTPS port: a 400 naming the https URL, not a silent close; TLS still works after it")
    func plainOnTLSPort() async throws {
        let rig = try Rig()
        try await rig.start()
        let plain = HTTPTestClient.get(port: rig.tlsPort, "/", host: "localhost:\(rig.tlsPort)")
        #expect(plain?.status == 400 && plain?.body.contains("this port speaks HTTPS: use https://localhost:\(rig.tlsPort)/") == true, "\(String(describing: plain))")
        let tls = await rig.curl(["https://app.localhost:\(rig.tlsPort)/echo"])
        #expect(tls.status == 0 && tls.stdout.contains("\"family\""), "\(tls.stderr)")
        await rig.stop()
    }

    @Test("wss://: the upgrade over TLS, then frames both ways")
    func webSocketOverTLS() async throws {
        let rig = try Rig()
        try await rig.start()
        let script = """
        import base64, os, socket, ssl, sys
        ctx = ssl.create_default_context(cafile=sys.argv[1]); ctx.set_alpn_protocols(["http/1.1"])
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[2]))), server_hostname="app.localhost")
        s.sendall(b"GET /ws HTTP/1.1\\r\\nHost: app.localhost\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n"
                  b"Sec-WebSocket-Key: " + base64.b64encode(os.urandom(16)) + b"\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n")
        buf = b""
        while b"\\r\\n\\r\\n" not in buf: buf += s.recv(4096)
        print(buf.split(b"\\r\\n")[0].decode())
        for word in [b"hello", b"again"]:
            s.sendall(bytes([0x81, 0x80 | len(word)]) + b"\\0\\0\\0\\0" + word)
            got = b""
            while len(got) < 2 + len(word): got += s.recv(64)
            print(got[2:].decode())
        """
        TestSupport.writeFile(rig.dir + "/wss.py", script)
        let r = await Self.run(["timeout", "60", "python3", rig.dir + "/wss.py", rig.caFile, String(rig.tlsPort)])
        #expect(r.stdout == "HTTP/1.1 101 Switching Protocols\nhello\nagain\n", "\(r.stdout) \(r.stderr)")
        await rig.stop()
    }

    @Test("certificates are cached per name and made again once half their life has passed")
    func renewal() throws {
        let ca = try TestCA(lifetime: 100)
        let routes = RouteBox()
        let now = Mutex(1_000.0)
        let cache = CertificateCache(issuer: ca, routes: routes, clock: { now.withLock { $0 } })
        _ = try cache.entry(sni: nil)
        _ = try cache.entry(sni: "LOCALHOST.")
        #expect(ca.issued.count == 1)
        now.withLock { $0 = 1_049 }
        _ = try cache.entry(sni: "localhost")
        #expect(ca.issued.count == 1)
        now.withLock { $0 = 1_051 }
        let renewed = try cache.entry(sni: "localhost")
        #expect(ca.issued.count == 2 && renewed.notAfter == 1_151)
        #expect(throws: CertificateCache.Refusal.self) { try cache.entry(sni: "bank.example") }
        #expect(throws: CertificateCache.Refusal.self) { try cache.entry(sni: "web.shop.localhost") }  // no lease has it
    }
}

