import PortKit
import PortProject

/// The one refresh of the pool, every `interval` seconds whatever the number
/// of clients: it updates the LiveView, and publishes to /events what the
/// dashboard's event log would show (PortEvent.changes, the same detection).
struct RefreshLoop: Sendable {
    let queue: RefreshQueue
    let view: LiveView
    let hub: EventHub
    let routes: RouteBox
    let interval: Double

    /// Refreshes until cancelled; `previous` is the snapshot events are counted from.
    func run(from previous: PortSnapshot?) async {
        var previous = previous
        var busy = 0.0
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(max(0, interval - busy) * 1e9))
            if Task.isCancelled { break }
            let started = monotonicSeconds()
            previous = await tick(previous: previous)
            busy = monotonicSeconds() - started
        }
    }

    /// One refresh: the pool and the leases, the events since `previous`; returns the new snapshot.
    func tick(previous: PortSnapshot?) async -> PortSnapshot? {
        let result = await queue.refresh(.pool(queue.range))
        let leases = await queue.leases()
        var snapshot = previous
        if case .success(let r) = result {
            if let previous {
                for event in PortEvent.changes(from: previous, to: r.snapshot) {
                    await hub.publish(RefreshLoop.frame(event, time: r.snapshot.takenAt))
                }
            }
            snapshot = r.snapshot
            let book = (try? leases.get())?.all ?? r.snapshot.ports.compactMap(\.lease)
            var aliasOrder: [String: [String]] = [:]
            var upstreamHost: [String: Set<String>] = [:]
            for root in Set(book.compactMap { $0.project?.root }) {
                (aliasOrder[root], upstreamHost[root]) = ProjectLoader.proxySettings(root: root)
            }
            var table = RouteTable(snapshot: r.snapshot, leases: book, previous: routes.current, aliasOrder: aliasOrder)
            table.upstreamHost = upstreamHost
            routes.set(table)
        }
        let now = monotonicSeconds()
        let names = routes.current.names
        await view.update { s in
            s.refreshes += 1
            s.lastAt = now
            s.leases = leases
            switch result {
            case .success(let r):
                s.refresh = r
                s.statusJSON = r.damage == nil ? SnapshotJSON(r.snapshot, warnings: r.warnings, names: names, router: queue.router).encoded() : nil
                s.problem = r.damage.map(\.problem)
            case .failure(let e):
                s.statusJSON = nil
                s.problem = e.description
            }
        }
        return snapshot
    }

    /// One Server-Sent Event: `event: port`, the event's JSON as data.
    static func frame(_ event: PortEvent, time: Int64) -> String {
        "event: port\ndata: " + event.jsonValue(time: time).serialized() + "\n\n"
    }

    /// A comment line, which EventSource clients ignore, that keeps proxies and idle timers from closing the stream.
    static let heartbeat = ": heartbeat\n\n"
}
