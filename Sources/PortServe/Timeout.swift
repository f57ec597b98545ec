/// A read or write of a client that did not finish in time.
struct ServeTimeout: Error {}

/// Runs `body`, cancelling it after `seconds` (FlyingSocks' waits end on
/// cancellation), and throws ServeTimeout then. Returns only once `body`
/// has finished, so the socket is never closed under a pending wait.
func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw ServeTimeout() }
        return value
    }
}
