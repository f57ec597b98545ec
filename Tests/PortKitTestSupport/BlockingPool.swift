import Testing
import Synchronization
import Glibc

/// A task executor of its own threads for tests that block: they wait for
/// processes, sockets and terminals with waitpid, poll and usleep, and on
/// the cooperative pool (one thread per core: two here) two of them would
/// stall every other test until they end. Here `width` of them block at
/// once while the cooperative pool goes on with the rest.
public final class BlockingPool: TaskExecutor, @unchecked Sendable {
    public static let shared = BlockingPool(width: 6)

    private let jobs = Mutex<[UnownedJob]>([])
    private let ready = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)

    init(width: Int) {
        sem_init(ready, 0, 0)
        for _ in 0..<width { startThread() }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        jobs.withLock { $0.append(job) }
        sem_post(ready)
    }

    private func next() -> UnownedJob {
        while sem_wait(ready) != 0 {}  // EINTR
        return jobs.withLock { $0.removeFirst() }
    }

    private func startThread() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let made = pthread_create(&thread, nil, { raw in
            let pool = Unmanaged<BlockingPool>.fromOpaque(raw!).takeUnretainedValue()
            while true { pool.next().runSynchronously(on: pool.asUnownedTaskExecutor()) }
        }, box)
        precondition(made == 0, "pthread_create: \(made)")
        pthread_detach(thread)
    }
}

/// `.blocking` on a suite: its tests run on the BlockingPool's threads.
public struct BlockingTrait: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(for test: Test, testCase: Test.Case?,
                             performing function: @Sendable () async throws -> Void) async throws {
        try await withTaskExecutorPreference(BlockingPool.shared) { try await function() }
    }
}

extension Trait where Self == BlockingTrait {
    /// Its tests wait on processes, sockets or terminals: they block threads of their own.
    public static var blocking: Self { BlockingTrait() }
}
