import Dispatch
import PortKit

/// The one Refresher of the server (`Refresher.live`: caching resolver),
/// used from one serial queue: the periodic pool refresh and the on-demand
/// scopes take turns, and the blocking /proc work stays off the threads
/// that serve connections.
final class RefreshQueue: Sendable {
    private let refresher: Refresher<CachingOwnerResolver>
    private let queue = DispatchQueue(label: "portdash.serve.refresh")
    let store: LeaseStore
    let range: PortRange
    /// The port the URLs in the JSON name (the router's own).
    let router: RouterAddress

    init(store: LeaseStore, range: PortRange, router: RouterAddress = RouterAddress(port: ListenAddress.defaultPort)) {
        self.router = router
        refresher = Refresher.live(store: store)
        self.store = store
        self.range = range
    }

    func refresh(_ scope: ScanScope) async -> Result<Refresh, PortKitError> {
        await run { [refresher] in Result { () throws(PortKitError) in try refresher.refresh(scope) } }
    }

    /// `leases --json` now, and how many leases have each status.
    func leases() async -> Result<LeaseView, PortKitError> {
        await run { [store, range, router] in
            Result { () throws(PortKitError) in
                let book = try store.load()
                let env = SystemLeaseEnvironment(range: range)
                let json = LeasesJSON(statePath: store.path, book: book, range: range).encoded(env: env, router: router)
                var counts: [LeaseStatus: Int] = [:]
                for l in book.leases { counts[LeasePolicy.status(of: l, env: env), default: 0] += 1 }
                return LeaseView(json: json, counts: counts, all: book.leases)
            }
        }
    }

    private func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { c in queue.async { c.resume(returning: work()) } }
    }
}

/// The leases as the last refresh read them.
struct LeaseView: Sendable {
    let json: String
    let counts: [LeaseStatus: Int]
    /// Every lease of the book, in the pool or not (a project's own [pool] range): the router names them all.
    var all: [Lease] = []
}
