import PortKit

/// On-demand refreshes of scopes other than the pool (/port-status?all=1,
/// ?port=…): each scope is refreshed at most once per interval however many
/// clients ask (concurrent askers share one refresh), and only the last
/// `limit` scopes asked for are kept.
actor ScopeCache {
    private struct Entry {
        let result: Result<Refresh, PortKitError>
        let at: Double
    }

    private let queue: RefreshQueue
    private let maxAge: Double
    private let limit: Int
    private var entries: [String: Entry] = [:]
    private var inFlight: [String: Task<Result<Refresh, PortKitError>, Never>] = [:]

    init(queue: RefreshQueue, maxAge: Double, limit: Int) {
        self.queue = queue
        self.maxAge = maxAge
        self.limit = limit
    }

    func refresh(_ scope: ScanScope) async -> Result<Refresh, PortKitError> {
        let key = ScopeCache.key(scope)
        if let e = entries[key], monotonicSeconds() - e.at < maxAge { return e.result }
        if let running = inFlight[key] { return await running.value }
        let task = Task { [queue] in await queue.refresh(scope) }
        inFlight[key] = task
        let result = await task.value
        inFlight[key] = nil
        entries[key] = Entry(result: result, at: monotonicSeconds())
        if entries.count > limit, let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key {
            entries[oldest] = nil
        }
        return result
    }

    static func key(_ scope: ScanScope) -> String {
        switch scope {
        case .pool(let r): return "pool \(r)"
        case .ports(let ports): return "ports " + Set(ports).sorted().map(String.init).joined(separator: ",")
        case .listeners(let within, let uid, let ns): return "listeners \(within.map { "\($0)" } ?? "*") \(uid.map(String.init) ?? "*") \(ns)"
        }
    }
}
