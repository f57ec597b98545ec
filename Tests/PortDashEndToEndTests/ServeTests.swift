import Testing
import PortKitTestSupport
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The real `portdash-serve`, over real sockets, against listeners the test starts.
@Suite("portdash serve (the binary, over HTTP)", .blocking)
struct ServeTests {
    /// The JSON of `status --json` with its time zeroed, for comparing two takes of the same moment.
    func normalized(_ text: String) -> SnapshotJSON? {
        guard var s = try? JSONDecoder().decode(SnapshotJSON.self, from: Data(text.utf8)) else { return nil }
        s.takenAt = 0
        return s
    }

    @Test("/port-status is status --json (pool, ?port=), with a real listener in it")
    func portStatus() throws {
        let serve = try ServeFixture()
        let busy = serve.range.first + 1
        let child = try ChildProcess.listening(on: busy)
        #expect(waitUntil { serve.get("/port-status")?.body.contains("\"port\":\(busy),\"state\":\"foreign\"") == true })
        // The CLI and the server at the same moment (a retry if a refresh fell between them).
        #expect(waitUntil {
            let cli = serve.cli(["status", "--json"]).stdout
            guard let http = serve.get("/port-status"), http.status == 200 else { return false }
            return normalized(cli) != nil && normalized(cli) == normalized(http.body)
        })
        let r = try #require(serve.get("/port-status"))
        #expect(r.header("Content-Type") == "application/json")
        let report = try #require(normalized(r.body)?.ports.first { $0.port == busy })
        #expect(report.sockets.first?.owners.map(\.pid).contains(child.pid) == true)
        #expect(waitUntil {
            let cli = serve.cli(["status", String(busy), "--json"]).stdout
            guard let http = serve.get("/port-status?port=\(busy)"), http.status == 200 else { return false }
            return normalized(cli) != nil && normalized(cli) == normalized(http.body)
        })
        let all = try #require(serve.get("/port-status?all=1"))
        #expect(all.status == 200 && normalized(all.body)?.ports.contains { $0.port == busy && $0.state == "foreign" } == true)
        #expect(serve.get("/port-status?port=0")?.status == 400)
        #expect(serve.get("/port-status?bogus=1")?.status == 400)
    }

    @Test("/leases is leases --json; /metrics and /healthz say the same pool")
    func leasesMetricsHealth() throws {
        let serve = try ServeFixture()
        let reserved = serve.range.last
        #expect(serve.cli(["reserve", String(reserved), "db"]).status == 0)
        let busy = serve.range.first
        let child = try ChildProcess.listening(on: busy)
        #expect(waitUntil {
            guard let http = serve.get("/leases"), http.status == 200 else { return false }
            return http.body == serve.cli(["leases", "--json"]).stdout && http.body.contains("\"service\":\"db\"")
        })
        var metrics = ""
        #expect(waitUntil {
            metrics = serve.get("/metrics")?.body ?? ""
            return metrics.contains("portdash_port_state{port=\"\(busy)\",state=\"foreign\"} 1")
        })
        #expect(serve.get("/metrics")?.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(metrics.contains("portdash_port_state{port=\"\(reserved)\",state=\"ours\"} 1"))
        #expect(metrics.contains("portdash_port_state{port=\"\(busy)\",state=\"free\"} 0"))
        #expect(metrics.contains("portdash_port_holders{port=\"\(busy)\"} 1"))
        #expect(metrics.contains("portdash_leases{status=\"reserved\"} 1"))
        for name in ["portdash_scan_duration_seconds", "portdash_refreshes_total", "portdash_event_subscribers"] {
            #expect(metrics.contains("# TYPE \(name) "), "\(name)")
            #expect(metrics.contains("# HELP \(name) "), "\(name)")
        }
        let health = try #require(serve.get("/healthz"))
        #expect(health.status == 200 && health.body.hasPrefix("{\"ok\":true,"))
        _ = child
    }

    /// One /events frame's data, decoded.
    struct EventFrame: Decodable, Equatable {
        let port: UInt16
        let kind: String
        let state: String
        let pids: [Int32]
        let text: String
    }

    /// Every `event: port` frame received so far, in order.
    func frames(_ received: String) -> [EventFrame] {
        received.split(separator: "\n\n").compactMap { block -> EventFrame? in
            guard let data = block.split(separator: "\n").first(where: { $0.hasPrefix("data: ") }) else { return nil }
            return try? JSONDecoder().decode(EventFrame.self, from: Data(data.dropFirst("data: ".count).utf8))
        }
    }

    /// Asserts on what the stream told, not on when: a refresh on a busy
    /// machine may see a socket before its process (or a dying process's
    /// socket after its descriptors are gone), so the events that name the
    /// holder are waited for, however many refreshes that takes.
    @Test("/events streams a listener appearing and disappearing, as the dashboard's log says it")
    func events() throws {
        let serve = try ServeFixture()
        let port = serve.range.first + 2
        let stream = try #require(EventStreamClient(port: serve.port))
        #expect(stream.waitFor(": portdash events", seconds: 120))
        #expect(stream.received.contains("Content-Type: text/event-stream"))
        let child = try ChildProcess.listening(on: port)
        func ours(_ f: EventFrame) -> Bool { TestSupport.withoutPassingForks(f.pids, keep: [child.pid]) == [child.pid] }
        #expect(stream.waitFor(seconds: 180) { text in frames(text).contains { $0.port == port && $0.kind == "taken" && ours($0) } })
        let taken = frames(stream.received).first { $0.port == port && $0.kind == "taken" && ours($0) }
        #expect(taken?.state == "foreign")
        #expect(taken?.text.hasPrefix("\(port) now held by sleep (pid \(child.pid))") == true, "\(String(describing: taken))")
        let seenBefore = stream.received.count
        child.signal(SIGKILL)
        child.wait()
        #expect(stream.waitFor("{\"port\":\(port),\"kind\":\"freed\",\"state\":\"free\"", seconds: 180))
        let after = frames(String(stream.received.dropFirst(seenBefore)))
        let freed = try #require(after.first { $0.port == port && $0.kind == "freed" })
        // It names the sleep when the refresh before it still read the holder; no other process is ever named.
        if freed.pids.isEmpty {
            #expect(freed.text == "\(port) free again")
        } else {
            #expect(freed.pids == [child.pid] && freed.text == "\(port) free again (was sleep, pid \(child.pid))", "\(freed)")
        }
        #expect(frames(stream.received).filter { $0.port == port }.allSatisfy {
            TestSupport.withoutPassingForks($0.pids, keep: [child.pid]).allSatisfy { $0 == child.pid }
        })
    }

    @Test("a foreign Host gets 421, OPTIONS and other methods 405, unknown paths 404; no CORS header anywhere")
    func safetyRules() throws {
        let serve = try ServeFixture()
        for host in ["evil.example", "evil.example:\(serve.port)", "localhost.evil.example", "127.0.0.1.nip.io:\(serve.port)", "localhost:1"] {
            let r = try #require(serve.get("/port-status", host: host))
            #expect(r.status == 421, "\(host)")
            #expect(!r.body.contains("ports"))
        }
        for host in ["localhost", "LOCALHOST:\(serve.port)", "127.0.0.1", "[::1]:\(serve.port)"] {
            #expect(serve.get("/healthz", host: host)?.status == 200, "\(host)")
        }
        let options = try #require(serve.get("/port-status", method: "OPTIONS", headers: ["Origin: http://evil.example"]))
        #expect(options.status == 405 && options.header("Allow") == "GET, HEAD")
        #expect(serve.get("/leases", method: "DELETE")?.status == 405)
        #expect(serve.get("/nope")?.status == 404)
        #expect(serve.get("/healthz", headers: ["Content-Length: 5"])?.status == 413)
        let big = try #require(serve.get("/healthz", headers: ["X-Filler: " + String(repeating: "a", count: 10_000)]))
        #expect(big.status == 431)
        let head = try #require(serve.get("/port-status", method: "HEAD"))
        #expect(head.status == 200 && head.body.isEmpty && Int(head.header("Content-Length") ?? "") ?? 0 > 0)
        for path in ["/port-status", "/leases", "/metrics", "/healthz", "/nope"] {
            let r = try #require(serve.get(path, headers: ["Origin: http://evil.example"]))
            #expect(r.header("Content-Type") != nil, "\(path)")
            #expect(!r.headers.contains { $0.name.lowercased().hasPrefix("access-control-") }, "\(path)")
        }
    }

    @Test("a non-loopback --listen is refused in one line, from portdash serve too")
    func nonLoopback() throws {
        let port = TestSupport.freeRange(count: 1).first
        let direct = TestSupport.runCommand([TestSupport.serveBinary, "--listen", "0.0.0.0:\(port)"])
        #expect(direct.status == 64)
        #expect(direct.stderr.split(separator: "\n").count == 1 && direct.stderr.contains("--allow-remote"), "\(direct.stderr)")
        let viaVerb = TestSupport.runCommand([TestSupport.portdashBinary, "serve", "--listen", "[::]:\(port)"])
        #expect(viaVerb.status == 64 && viaVerb.stderr.hasPrefix("portdash serve: --listen [::]:\(port) is not a loopback address"))
        #expect(TestSupport.runCommand([TestSupport.portdashBinary, "serve", "--listen", "nonsense"]).status == 64)
    }

    @Test("portdash serve with no portdash-serve beside it: one line naming the fix, exit 69")
    func missingServer() throws {
        let dir = TestSupport.temporaryDirectory("portdash-serve-missing")
        defer { TestSupport.removeTree(dir) }
        #expect(TestSupport.runCommand(["/bin/cp", TestSupport.portdashBinary, dir + "/portdash"]).status == 0)
        let r = TestSupport.runCommand([dir + "/portdash", "serve"])
        #expect(r.status == 69)
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("swift build -c release --product portdash-serve"), "\(r.stderr)")
    }

    @Test("event clients that went away free their slots: 16 connect-and-close, then a new one is served")
    func reconnects() throws {
        let serve = try ServeFixture()
        for _ in 0..<16 {
            let gone = try #require(EventStreamClient(port: serve.port))
            #expect(gone.waitFor(": portdash events"))
        }  // each closed as it goes out of scope
        // Within a few heartbeats the slots are free again (a refused client is answered 503 at once).
        #expect(waitUntil(seconds: 180) {
            guard let fresh = EventStreamClient(port: serve.port) else { return false }
            return fresh.waitFor(": portdash events", seconds: 30)
        })
    }

    @Test("200 concurrent clients are answered (200) or refused (503), a client that never reads /events stops nobody, memory stays under 64 MiB")
    func manyClients() throws {
        let serve = try ServeFixture()
        // A subscriber that never reads, with a tiny receive buffer.
        let stalled = try #require(HTTPTestClient.connect(port: serve.port))
        defer { close(stalled) }
        var small: Int32 = 1024
        setsockopt(stalled, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        #expect(HTTPTestClient.sendAll(stalled, HTTPTestClient.requestText("GET", "/events", host: "localhost")))
        var fds: [Int32] = []
        defer { fds.forEach { close($0) } }
        for i in 0..<200 {
            guard let fd = HTTPTestClient.connect(port: serve.port) else { continue }
            fds.append(fd)
            let path = ["/port-status", "/metrics", "/leases", "/healthz"][i % 4]
            _ = HTTPTestClient.sendAll(fd, HTTPTestClient.requestText("GET", path, host: "127.0.0.1:\(serve.port)"))
        }
        #expect(fds.count == 200)
        let statuses = fds.map { HTTPResponseStatus.of(HTTPTestClient.readUntilClosed($0, seconds: 60)) }
        #expect(statuses.allSatisfy { $0 == 200 || $0 == 503 }, "\(Dictionary(grouping: statuses, by: { $0 }).mapValues(\.count))")
        #expect(statuses.contains(200))
        #expect(serve.get("/healthz")?.status == 200)
        let rss = try #require(serve.rssKiB)
        #expect(rss < 64 * 1024, "VmRSS \(rss) KiB")
    }

    @Test("SIGTERM and SIGINT stop it cleanly with exit 0, an open event stream included", arguments: [SIGTERM, SIGINT])
    func stops(_ sig: Int32) throws {
        let serve = try ServeFixture()
        let stream = try #require(EventStreamClient(port: serve.port))
        #expect(stream.waitFor(": portdash events"))
        let r = serve.stop(sig)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("listening on http://127.0.0.1:\(serve.port)"))
        #expect(HTTPTestClient.connect(port: serve.port) == nil)
    }
}

/// The status code of a raw response, or -1 when there was none.
enum HTTPResponseStatus {
    static func of(_ raw: [UInt8]) -> Int { HTTPTestResponse.parse(raw)?.status ?? -1 }
}
