import PortKit
import PortKitTestSupport
import Glibc

/// A real `portdash-serve` on a port the test found free, with a pool and a
/// state file of its own; stopped (SIGKILL) and cleaned up on deinit.
final class ServeFixture {
    struct NotServing: Error, CustomStringConvertible {
        let stderr: String
        var description: String { "portdash-serve did not answer /healthz: \(stderr)" }
    }

    let port: UInt16
    let range: PortRange
    let dir = TestSupport.temporaryDirectory("portdash-serve-test")
    var state: String { dir + "/leases.json" }
    let process: ChildProcess

    init(interval: String = "0.2", rangeCount: Int = 3, extra: [String] = []) throws {
        port = TestSupport.freeRange(count: 1).first
        range = TestSupport.freeRange(count: rangeCount)
        process = ChildProcess([TestSupport.serveBinary, "--listen", "127.0.0.1:\(port)", "--range", "\(range.first)-\(range.last)",
                                "--state", dir + "/leases.json", "--interval", interval] + extra, captureOutput: true)
        let port = self.port
        guard waitUntil(seconds: 120, { HTTPTestClient.get(port: port, "/healthz")?.status == 200 }) else {
            process.signal(SIGKILL)
            throw NotServing(stderr: process.waitForExit().stderr)
        }
    }

    func get(_ target: String, method: String = "GET", host: String? = nil, headers: [String] = []) -> HTTPTestResponse? {
        HTTPTestClient.get(port: port, target, method: method, host: host, headers: headers)
    }

    /// `portdash ARGS` with this fixture's pool and state file.
    func cli(_ args: [String]) -> (status: Int32, stdout: String, stderr: String) {
        TestSupport.runCommand([TestSupport.portdashBinary] + args + ["--range", "\(range.first)-\(range.last)", "--state", state],
                               environment: ["PORTDASH_ROUTER_PORT": String(port)])
    }

    /// SIGTERM (or `sig`), then the exit status and output.
    func stop(_ sig: Int32 = SIGTERM) -> (status: Int32, stdout: String, stderr: String) {
        process.signal(sig)
        return process.waitForExit()
    }

    /// The server's resident memory in KiB (VmRSS of /proc/PID/status).
    var rssKiB: Int? {
        guard let raw = TestSupport.readFile("/proc/\(process.pid)/status") else { return nil }
        let line = String(decoding: raw, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line?.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.waitForExit()
        TestSupport.removeTree(dir)
    }
}
