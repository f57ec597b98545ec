#if canImport(Glibc)
import Glibc
#endif

/// The bounds that keep `serve` small whatever its clients do (docs/serve.md).
public struct ServeLimits: Sendable {
    /// Connections served at once; the next ones are answered 503 and closed.
    /// (`fit(descriptors:)` lowers it to what the open-files limit allows.)
    public var connections = 1024
    /// Connections beyond `connections` that still get their 503 (the rest are closed unanswered).
    public var refusals = 256
    /// Clients of /events at once (they count as connections too); beyond: 503.
    public var subscribers = 16
    /// Events (and heartbeats) waiting for one /events client; a client that
    /// lets it fill is dropped, so a client that never reads costs at most this.
    public var subscriberQueue = 256
    /// Bytes of a request line and headers; beyond: 431.
    public var headBytes = 8192
    /// Header lines; beyond: 431.
    public var headerLines = 64
    /// Seconds for a whole request head to arrive (also how long an idle
    /// keep-alive connection is kept); then the connection is closed.
    public var headSeconds = 10.0
    /// Seconds one write may wait for a client to take data; then it is dropped.
    public var writeSeconds = 10.0
    /// Seconds between SSE comment heartbeats on /events. A client that went
    /// away is noticed only when a write to it fails, so this is also how
    /// long its slot stays taken (reconnecting browsers must not use up all 16).
    public var heartbeatSeconds = 2.0
    /// `port` parameters in one /port-status query.
    public var queryPorts = 64
    /// Distinct on-demand scopes (?all=1, ?port=…) whose last refresh is kept.
    public var cachedScopes = 16

    /// The router: seconds to connect to a leased port; then 504.
    public var connectSeconds = 5.0
    /// The router: seconds an upstream has to begin its answer, counted from
    /// the last byte of the request (`serve --answer-timeout`); then 504.
    public var answerSeconds = 60.0
    /// The router: once the answer has begun, no byte either way for this
    /// long closes the exchange. Not applied to event streams
    /// (text/event-stream) or upgraded (WebSocket) connections.
    public var proxyIdleSeconds = 60.0
    /// The router: idle keep-alive connections kept per upstream port (per
    /// event loop), each for `upstreamIdleSeconds`. HTTP/2 clients run many
    /// requests at once, each on its own upstream connection: with 16 kept,
    /// h2load -c32 -m10 made a new upstream connection for 2 requests in 5.
    public var upstreamPoolSize = 256
    public var upstreamIdleSeconds = 30.0

    /// Event loop threads (PORTDASH_SERVE_THREADS, 1 to 16): by default 2,
    /// or 1 on a one-core machine. Measured in bench/ROUTER.md: on 2 cores the
    /// second loop took the router from 0.70-0.77x to 0.84-0.90x nginx's requests/s.
    public var eventLoops = min(2, max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))))

    /// The open-files limit raised to its hard maximum (at most 65,536), as
    /// nginx's worker_rlimit_nofile and Go's runtime do: the soft default of
    /// 1,024 would cap a router at about 300 connections. The limit in force.
    public static func raiseDescriptorLimit() -> Int {
        var r = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &r) == 0 else { return 1024 }
        let wanted = min(r.rlim_max, 65_536)
        if r.rlim_cur < wanted {
            var raised = r
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { r = raised }
        }
        return Int(r.rlim_cur)
    }

    /// `connections` lowered to what `descriptors` open files carry: each
    /// routed connection holds its client's and its upstream's, and the idle
    /// upstream pool and refused connections take more (a third each, with
    /// 64 kept for the rest).
    public mutating func fit(descriptors: Int) {
        connections = max(16, min(connections, (descriptors - 64) / 3))
        upstreamPoolSize = max(4, min(upstreamPoolSize, connections / 4))
    }

    public init() {
        if let t = getenv("PORTDASH_SERVE_THREADS").flatMap({ Int(String(cString: $0)) }), (1...16).contains(t) { eventLoops = t }
    }
}
