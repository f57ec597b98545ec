import FlyingSocks
import PortKit
import Glibc

/// `portdash serve`: a read-only HTTP service of what `status` and `leases`
/// know. One refresh loop, an accept loop on FlyingSocks' epoll pool, one
/// task per connection; everything bounded by ServeLimits.
public struct PortServer: Sendable {
    public let listen: ListenAddress
    public let range: PortRange
    public let store: LeaseStore
    public let interval: Double
    public let limits: ServeLimits

    public init(listen: ListenAddress, range: PortRange, store: LeaseStore, interval: Double, limits: ServeLimits = ServeLimits()) {
        self.listen = listen
        self.range = range
        self.store = store
        self.interval = interval
        self.limits = limits
    }

    /// Opens the listening socket (the only step that can fail).
    public func bind() throws(ServeError) -> Int32 { try ListenSocket.open(listen) }

    /// Refreshes once, calls `ready`, then serves on `fd` until the task is
    /// cancelled; false (at once) if the event loop cannot be set up.
    @discardableResult
    public func serve(on fd: Int32, ready: @Sendable () -> Void) async -> Bool {
        let pool = SocketPool.make()
        guard (try? await pool.prepare()) != nil,
              let listener = try? AsyncSocket(socket: Socket(file: .init(rawValue: fd)), pool: pool) else {
            close(fd)
            return false
        }
        let queue = RefreshQueue(store: store, range: range)
        let view = LiveView()
        let hub = EventHub(limit: limits.subscribers, queue: limits.subscriberQueue)
        let loop = RefreshLoop(queue: queue, view: view, hub: hub, interval: interval)
        let first = await loop.tick(previous: nil)
        let router = Router(view: view, scopes: ScopeCache(queue: queue, maxAge: interval, limit: limits.cachedScopes),
                            hub: hub, hosts: HostPolicy(listen: listen), limits: limits, interval: interval)
        await withDiscardingTaskGroup { group in
            group.addTask { _ = try? await pool.run() }
            group.addTask { await loop.run(from: first) }
            group.addTask { [limits] in await PortServer.heartbeat(hub, every: limits.heartbeatSeconds) }
            group.addTask { [limits] in await PortServer.accept(on: listener, router: router, gate: ConnectionGate(limits: limits), limits: limits) }
            ready()
        }
        try? listener.close()
        return true
    }

    static func heartbeat(_ hub: EventHub, every seconds: Double) async {
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            await hub.publish(RefreshLoop.heartbeat)
        }
    }

    /// Accepts until cancelled; a failed accept (out of descriptors) backs off and goes on.
    static func accept(on listener: AsyncSocket, router: Router, gate: ConnectionGate, limits: ServeLimits) async {
        var quick = limits
        quick.headSeconds = min(2, limits.headSeconds)
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                let client: AsyncSocket
                do { client = try await listener.accept() } catch {
                    if Task.isCancelled { break }
                    try? await Task.sleep(nanoseconds: 50_000_000)
                    continue
                }
                let admission = gate.admit()
                switch admission {
                case .serve:
                    let c = ClientConnection(socket: client, router: router, limits: limits)
                    group.addTask { await c.serve(); gate.leave(admission) }
                case .refuse:
                    let c = ClientConnection(socket: client, router: router, limits: quick)
                    group.addTask { await c.refuse(); gate.leave(admission) }
                case .drop:
                    try? client.close()
                }
            }
        }
    }
}
