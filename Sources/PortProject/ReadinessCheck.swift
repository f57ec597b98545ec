import PortKit

/// `ready = "port"`: the service's main port is listening, by a process of
/// its own — the scanner's `ours` for a lease bound to the service's shell
/// (a listener that is not its shell or a child of it is a conflict). Asked
/// of the same socket table and owner walk as `status`, refreshed with the
/// dashboard's caches, since it is asked every 100 ms.
final class ReadinessCheck {
    private let refresher: Refresher<CachingOwnerResolver>

    init(store: LeaseStore) {
        refresher = Refresher.live(store: store)
    }

    /// Which of `ports` are listened on by their leaseholders.
    func ready(_ ports: [UInt16]) -> Set<UInt16> {
        guard !ports.isEmpty, let snapshot = try? refresher.refresh(.ports(ports)).snapshot else { return [] }
        return Set(snapshot.ports.filter { r in r.state == .ours && !r.listeners.isEmpty && !r.owners.isEmpty }.map(\.port))
    }
}
