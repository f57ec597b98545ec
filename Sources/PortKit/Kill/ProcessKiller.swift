import SystemPackage
import Glibc

/// Sends signals to exactly the process that was shown.
///
/// With pidfd_open(2) (Linux 5.3+), the pidfd is opened first and the start
/// time checked after: from then on the descriptor names that process and
/// no other, so pidfd_send_signal cannot hit a reused pid, and poll(2) on it
/// says when the process has exited. Without pidfds, the start time is
/// re-checked immediately before each kill(2), which leaves only a
/// microsecond-wide window.
public struct ProcessKiller: Sendable {
    /// Seconds between the first signal and SIGKILL, unless told otherwise
    /// (`kill --timeout`); the dashboard's kill box uses it too.
    public static let defaultGracePeriod: Double = 3

    public let guardrail: KillGuard
    let reader: ProcessReader

    public init(guardrail: KillGuard = KillGuard(), reader: ProcessReader = ProcessReader()) {
        self.guardrail = guardrail
        self.reader = reader
    }

    /// Signals `target`, waits up to `timeout` for it to exit (calling
    /// `progress` with the seconds left, about every 100 ms), then sends
    /// SIGKILL if `escalate` and it is still the same process.
    public func terminate(_ target: KillTarget, signal sig: Int32 = SIGTERM, timeout: Double = defaultGracePeriod, escalate: Bool = true,
                          progress: (Double) -> Void = { _ in }) throws(PortKitError) -> KillOutcome {
        try terminateAll([target], signal: sig, timeout: timeout, escalate: escalate, progress: progress)[0].get()
    }

    /// The same for several processes at once (a pre-fork master and its
    /// workers): one grace period for all of them, not one after another.
    /// Each target gets its own outcome or error, in the order given.
    public func terminateAll(_ targets: [KillTarget], signal sig: Int32 = SIGTERM, timeout: Double = defaultGracePeriod, escalate: Bool = true,
                             progress: (Double) -> Void = { _ in }) -> [Result<KillOutcome, PortKitError>] {
        var results = [Result<KillOutcome, PortKitError>?](repeating: nil, count: targets.count)
        var handles: [(index: Int, handle: Handle)] = []
        for (i, t) in targets.enumerated() {
            switch pin(t) {
            case .success(let h?): handles.append((i, h))
            case .success(nil): results[i] = .success(.alreadyGone)
            case .failure(let e): results[i] = .failure(e)
            }
        }
        defer { for h in handles { h.handle.close() } }
        let start = monotonicSeconds()
        var live = signal(handles, sig, into: &results)
        Handle.waitAll(live, timeout: timeout, progress: progress) { i in
            results[i] = .success(.exited(afterSignal: sig, seconds: monotonicSeconds() - start))
        }
        live = live.filter { results[$0.index] == nil }
        guard escalate, sig != SIGKILL else {
            for h in live { results[h.index] = .success(.stillRunning(afterSignal: sig)) }
            return results.map { $0! }
        }
        live = signal(live, SIGKILL, into: &results)
        // SIGKILL cannot be caught, but a process in uninterruptible sleep (D) only dies when it wakes.
        Handle.waitAll(live, timeout: 5, progress: { _ in }) { i in
            results[i] = .success(.killed(seconds: monotonicSeconds() - start))
        }
        for h in live where results[h.index] == nil { results[h.index] = .success(.stillRunning(afterSignal: SIGKILL)) }
        return results.map { $0! }
    }

    /// Checks the guard and pins the process. nil: gone already (a master's
    /// SIGTERM took its workers with it): the goal is met, not an error.
    func pin(_ target: KillTarget) -> Result<Handle?, PortKitError> {
        if reader.stat(target.pid) == nil { return .success(nil) }
        return Result { () throws(PortKitError) in
            try guardrail.check(target)
            return try Handle(target, reader: reader)
        }
    }

    /// Sends `sig` to each handle; those that fail get their error. Returns
    /// the ones signalled.
    func signal(_ handles: [(index: Int, handle: Handle)], _ sig: Int32,
                into results: inout [Result<KillOutcome, PortKitError>?]) -> [(index: Int, handle: Handle)] {
        handles.filter { h in
            do throws(PortKitError) { try h.handle.send(sig); return true } catch {
                results[h.index] = .failure(error)
                return false
            }
        }
    }

    /// One process, pinned by a pidfd where the kernel has them.
    struct Handle {
        let target: KillTarget
        let reader: ProcessReader
        /// nil: no pidfd support (ENOSYS), so kill(2) after a start-time check.
        /// Closed once, by `close()`: the handle owns it.
        let pidfd: FileDescriptor?

        /// nil: the process exited before it could be pinned.
        init?(_ target: KillTarget, reader: ProcessReader) throws(PortKitError) {
            self.target = target
            self.reader = reader
            switch Syscalls.openPidfd(target.pid) {
            case .success(let fd): pidfd = fd
            case .failure(.noSuchProcess): return nil
            case .failure: pidfd = nil
            }
            // Checked after the pidfd exists, so the pidfd is known to name the shown process.
            guard let st = reader.stat(target.pid), st.startTime == target.startTime else {
                close()
                throw .killRefused("pid \(target.pid) is now a different process; nothing was signalled")
            }
        }

        func send(_ sig: Int32) throws(PortKitError) {
            let sent: Result<Void, Errno>
            if let pidfd {
                sent = Syscalls.sendSignal(sig, through: pidfd)
            } else {
                guard reader.stat(target.pid)?.startTime == target.startTime else {
                    throw .killRefused("pid \(target.pid) is now a different process; nothing was signalled")
                }
                sent = Syscalls.sendSignal(sig, to: target.pid)
            }
            switch sent {
            case .success:
                return
            case .failure(.notPermitted):
                throw .permissionDenied("not permitted to signal pid \(target.pid) (\(sanitized(target.name)), user \(target.user)); it belongs to another user: run portdash as that user or as root")
            case .failure(.noSuchProcess):
                return  // exited in between: the goal is met
            case .failure(let e):
                throw .system(call: "signal \(target.pid)", errno: e)
            }
        }

        /// True once the process is gone (or is a zombie with no thread left: it no longer holds its sockets).
        func isGone() -> Bool {
            guard let st = reader.stat(target.pid) else { return true }
            return st.startTime != target.startTime || st.hasEnded
        }

        /// Waits until every handle's process is gone or `timeout` passes,
        /// calling `gone` with each one's index as soon as it is gone.
        static func waitAll(_ handles: [(index: Int, handle: Handle)], timeout: Double, progress: (Double) -> Void,
                            gone: (Int) -> Void) {
            let deadline = monotonicSeconds() + timeout
            var live = handles
            while true {
                live = live.filter { h in
                    if h.handle.isGone() { gone(h.index); return false }
                    return true
                }
                let left = deadline - monotonicSeconds()
                if live.isEmpty || left <= 0 { return }
                progress(left)
                let slice = max(Int32(min(left, 0.1) * 1000), 1)
                let pidfds = live.compactMap(\.handle.pidfd)
                if pidfds.count == live.count {
                    _ = Syscalls.waitReadable(pidfds, milliseconds: slice)
                } else {
                    usleep(UInt32(slice) * 1000)
                }
            }
        }

        func close() { try? pidfd?.close() }
    }
}
