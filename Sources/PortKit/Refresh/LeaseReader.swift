import SystemPackage
import Glibc

/// The leases in force, read from the state file for each refresh: parsed
/// again only when the file changed (inode, size, mtime), and while the file
/// is damaged, the leases of the last good read, unchanged (no expiry
/// applied: shown as they were and marked stale, never aged into releases).
/// @unchecked: the last read is unlocked state; one refresh at a time uses
/// it (its Refresher's).
public final class LeaseReader: @unchecked Sendable {
    public let store: LeaseStore
    let root: ProcRoot
    private var stamp: (UInt64, Int, Int, Int)? = nil
    private var book = LeaseBook()
    private var lastGood: (leases: [Lease], at: Int64)? = nil
    private var damage: StateDamage? = nil

    public init(store: LeaseStore, root: ProcRoot = .system) {
        self.store = store
        self.root = root
    }

    /// The live leases now, and the file's damage if it cannot be read.
    public func read(now: Int64 = epochSeconds()) -> (leases: [Lease], damage: StateDamage?) {
        switch Result(catching: { () throws(PortKitError) in try currentBook() }) {
        case .success(let b):
            let env = SystemLeaseEnvironment(root: root, now: now, holders: { _ in nil })
            let leases = LeasePolicy.live(b.leases, env: env)
            lastGood = (leases, now)
            damage = nil
            return (leases, nil)
        case .failure(let e):
            damage = StateDamage(error: e, since: damage?.since ?? now, leasesAsOf: lastGood?.at)
            return (lastGood?.leases ?? [], damage)
        }
    }

    private func currentBook() throws(PortKitError) -> LeaseBook {
        guard let st = try? Stat(FilePath(store.path)) else {
            stamp = nil
            book = LeaseBook()
            return try store.load()  // absent: empty; anything else: its error
        }
        let mtime = st.rawValue.st_mtim  // swift-system's Stat has no nanosecond time on Linux yet
        let now = (UInt64(st.inode.rawValue), Int(st.size), Int(mtime.tv_sec), Int(mtime.tv_nsec))
        if let old = stamp, old == now { return book }
        book = try store.load()
        stamp = now
        return book
    }
}
