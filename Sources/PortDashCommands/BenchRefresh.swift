import ArgumentParser
import PortDashCLI
import PortKit
import Glibc

/// Measures the dashboard's refresh in-process (issue: speed). Hidden from
/// the help: it is for `bench/run.py`, not for users.
struct BenchRefresh: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-refresh",
        abstract: "Time dashboard refreshes in-process and print one JSON line.",
        shouldDisplay: false)

    @OptionGroup var global: GlobalOptions

    @Option(help: "Refreshes to time with listeners unchanged.")
    var iterations: Int = 200

    @Flag(help: "Time the every-listener view (Tab) instead of the pool.")
    var all = false

    func run() throws {
        let ctx = try Context(global)
        // The dashboard's own refresh path, not a copy of it.
        let refresher = Refresher.live(store: ctx.store)
        let scope: ScanScope = all ? .listeners(within: nil, uid: nil, namespaces: true) : .pool(ctx.range)
        func refresh() throws(PortKitError) -> PortSnapshot { try refresher.refresh(scope).snapshot }
        let result = try Output.core { () throws(PortKitError) -> JSONNode in
            // The first refresh walks /proc in full; later ones re-verify.
            let t0 = monotonicSeconds()
            _ = try refresh()
            let first = monotonicSeconds() - t0
            var times: [Double] = []
            for _ in 0..<max(1, iterations) {
                let s = monotonicSeconds()
                _ = try refresh()
                times.append(monotonicSeconds() - s)
            }
            times.sort()
            // A new listener on a free port of the range: how long until a refresh shows it with its pid.
            var newListener: JSONNode = .null
            if let port = ctx.range.ports.first(where: { BindProbe().probe($0).isFree }), let fd = listenOn(port) {
                let s = monotonicSeconds()
                var seen = false
                while !seen && monotonicSeconds() - s < 5 {
                    seen = try refresh().report(port)?.owners.contains { $0.pid == getpid() } ?? false
                }
                newListener = seen ? ms(monotonicSeconds() - s) : .null
                close(fd)
            }
            // Phase costs of one full, uncached scan (what `status` does).
            var plain = PortScanner()
            let p0 = monotonicSeconds(); _ = try SocketSources.best().sockets(in: ctx.range)
            let p1 = monotonicSeconds(); for p in ctx.range.ports { _ = BindProbe().probe(p) }
            let p2 = monotonicSeconds(); _ = try SocketOwners().find([1])
            let p3 = monotonicSeconds(); _ = try plain.scan(ctx.range)
            let p4 = monotonicSeconds(); _ = try SocketOwners().find([1], workers: 1)
            let p5 = monotonicSeconds()
            return .object([
                ("refreshMedianMs", ms(times[times.count / 2])),
                ("refreshP95Ms", ms(times[min(times.count - 1, times.count * 95 / 100)])),
                ("refreshMaxMs", ms(times.last!)),
                ("firstRefreshMs", ms(first)),
                ("newListenerMs", newListener),
                ("iterations", .int(Int64(times.count))),
                ("fullScanMs", ms(p4 - p3)),
                ("socketTableMs", ms(p1 - p0)),
                ("probesMs", ms(p2 - p1)),
                ("fdWalkMs", ms(p3 - p2)),
                ("fdWalkOneThreadMs", ms(p5 - p4)),
            ])
        }
        Output.writeOut(result.serialized() + "\n")
    }

    /// Seconds as milliseconds with three decimals.
    func ms(_ s: Double) -> JSONNode { .fixed(s * 1000, places: 3) }

    func listenOn(_ port: UInt16) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = port.bigEndian
        sa.sin_addr = in_addr(s_addr: UInt32(0x7F000001).bigEndian)
        let rc = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, listen(fd, 8) == 0 else { close(fd); return nil }
        return fd
    }
}
