import Dispatch
import PortKit

/// Scans off the main thread, so keys are answered at once even when a
/// scan is slow. Results go into a mailbox and a byte into a pipe, which
/// the run loop polls together with the keyboard.
final class ScanWorker: @unchecked Sendable {
    enum Message {
        case scanned(PortSnapshot, seconds: Double, damage: StateDamage?)
        case scanFailed(String)
        case killProgress(String?)
        case log(String, Style, rescan: Bool)
    }

    let range: PortRange
    let store: LeaseStore
    private let queue = DispatchQueue(label: "portdash.scan")
    private let killQueue = DispatchQueue(label: "portdash.kill")
    private var scanner: PortScanner<CachingOwnerResolver>
    private var mailbox: [Message] = []
    private var lock = pthread_mutex_t()
    let wakeRead: Int32
    private let wakeWrite: Int32
    // The state file is parsed again only when it changed (inode, size, mtime).
    private var bookStamp: (UInt64, Int, Int, Int)? = nil
    private var book = LeaseBook()
    // The leases of the last good read of the state file, and when that was:
    // while the file is damaged they stand in for it, so damage never reads
    // as every lease released.
    private var lastGood: (leases: [Lease], at: Int64)? = nil
    private var damage: StateDamage? = nil

    init(range: PortRange, store: LeaseStore) {
        self.range = range
        self.store = store
        scanner = PortScanner(root: .system, source: RefreshingSocketSource(), probe: BindProbe(),
                              resolver: CachingOwnerResolver())
        var fds: [Int32] = [0, 0]
        pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        pthread_mutex_init(&lock, nil)
    }

    func post(_ m: Message) {
        pthread_mutex_lock(&lock)
        mailbox.append(m)
        pthread_mutex_unlock(&lock)
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)
    }

    func take() -> [Message] {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &sink, 64) > 0 {}
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        let out = mailbox
        mailbox.removeAll()
        return out
    }

    func scan() {
        queue.async { [self] in
            let start = monotonicSeconds()
            let leases = currentLeases()
            switch Result(catching: { () throws(PortKitError) in try self.scanner.scan(range, leases: leases) }) {
            case .success(let snap): post(.scanned(snap, seconds: monotonicSeconds() - start, damage: damage))
            case .failure(let e): post(.scanFailed(e.description))
            }
        }
    }

    /// The live leases of the state file; while it cannot be read, those of
    /// the last good read, unchanged (no expiry applied: they are shown as
    /// they were, marked stale, not aged into releases).
    private func currentLeases() -> [Lease] {
        let now = epochSeconds()
        switch Result(catching: { () throws(PortKitError) in try currentBook() }) {
        case .success(let b):
            let env = SystemLeaseEnvironment(range: range)
            let leases = LeasePolicy.live(b.leases, env: env)
            lastGood = (leases, now)
            damage = nil
            return leases
        case .failure(let e):
            damage = StateDamage(problem: e.description, since: damage?.since ?? now, leasesAsOf: lastGood?.at)
            return lastGood?.leases ?? []
        }
    }

    private func currentBook() throws(PortKitError) -> LeaseBook {
        var st = stat()
        guard stat(store.path, &st) == 0 else {
            bookStamp = nil
            book = LeaseBook()
            return try store.load()  // absent: empty; anything else: its error
        }
        let stamp = (UInt64(st.st_ino), Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec))
        if let old = bookStamp, old == stamp { return book }
        book = try store.load()
        bookStamp = stamp
        return book
    }

    /// Signals the targets in the background, all at once (one grace
    /// period for a master and its workers), posting a countdown.
    func kill(_ targets: [KillTarget], port: UInt16, killer: ProcessKiller, timeout: Double) {
        killQueue.async { [self] in
            let who = targets.map { "\($0.pid) \($0.name)" }.joined(separator: ", ")
            let results = killer.terminateAll(targets, signal: SIGTERM, timeout: timeout) { left in
                self.post(.killProgress("SIGTERM sent to \(who); SIGKILL in \(String(format1: left)) s if still running"))
            }
            post(.killProgress(nil))
            for (t, r) in zip(targets, results) {
                switch r {
                case .success(let outcome):
                    post(.log("\(port): \(t.pid) \(t.name) \(outcome)", .ok, rescan: true))
                case .failure(let e):
                    post(.log(e.description, .error, rescan: true))
                }
            }
        }
    }
}
