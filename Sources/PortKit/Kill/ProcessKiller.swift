import CLinux

/// Sends signals to exactly the process that was shown.
///
/// With pidfd_open(2) (Linux 5.3+), the pidfd is opened first and the start
/// time checked after: from then on the descriptor names that process and
/// no other, so pidfd_send_signal cannot hit a reused pid, and poll(2) on it
/// says when the process has exited. Without pidfds, the start time is
/// re-checked immediately before each kill(2), which leaves only a
/// microsecond-wide window.
public struct ProcessKiller: Sendable {
    public let guardrail: KillGuard
    let reader: ProcessReader

    public init(guardrail: KillGuard = KillGuard(), reader: ProcessReader = ProcessReader()) {
        self.guardrail = guardrail
        self.reader = reader
    }

    /// Signals `target`, waits up to `timeout` for it to exit (calling
    /// `progress` with the seconds left, about every 100 ms), then sends
    /// SIGKILL if `escalate` and it is still the same process.
    public func terminate(_ target: KillTarget, signal sig: Int32 = SIGTERM, timeout: Double = 3, escalate: Bool = true,
                          progress: (Double) -> Void = { _ in }) throws(PortKitError) -> KillOutcome {
        // Gone already (a master's SIGTERM took its workers with it): the goal
        // is met, and it is not an error. A reused pid is still refused.
        if reader.stat(target.pid) == nil { return .alreadyGone }
        try guardrail.check(target)
        guard let handle = try Handle(target, reader: reader) else { return .alreadyGone }
        defer { handle.close() }
        let start = monotonicSeconds()
        try handle.send(sig)
        if handle.waitExit(timeout: timeout, progress: progress) {
            return .exited(afterSignal: sig, seconds: monotonicSeconds() - start)
        }
        guard escalate, sig != SIGKILL else { return .stillRunning(afterSignal: sig) }
        try handle.send(SIGKILL)
        // SIGKILL cannot be caught, but a process in uninterruptible sleep (D) only dies when it wakes.
        if !handle.waitExit(timeout: 5, progress: { _ in }) { return .stillRunning(afterSignal: SIGKILL) }
        return .killed(seconds: monotonicSeconds() - start)
    }

    /// One process, pinned by a pidfd where the kernel has them.
    struct Handle {
        let target: KillTarget
        let reader: ProcessReader
        let pidfd: Int32

        /// nil: the process exited before it could be pinned.
        init?(_ target: KillTarget, reader: ProcessReader) throws(PortKitError) {
            self.target = target
            self.reader = reader
            let fd = pd_pidfd_open(target.pid)
            if fd < 0 && errno == ESRCH { return nil }
            pidfd = fd  // -1: no pidfd support (ENOSYS), fall back to checked kill(2)
            // Checked after the pidfd exists, so the pidfd is known to name the shown process.
            guard let st = reader.stat(target.pid), st.startTime == target.startTime else {
                if fd >= 0 { Glibc.close(fd) }
                throw .killRefused("pid \(target.pid) is now a different process; nothing was signalled")
            }
        }

        func send(_ sig: Int32) throws(PortKitError) {
            let rc: Int32
            if pidfd >= 0 {
                rc = pd_pidfd_send_signal(pidfd, sig)
            } else {
                guard reader.stat(target.pid)?.startTime == target.startTime else {
                    throw .killRefused("pid \(target.pid) is now a different process; nothing was signalled")
                }
                rc = kill(target.pid, sig)
            }
            if rc == 0 { return }
            switch errno {
            case EPERM:
                throw .permissionDenied("not permitted to signal pid \(target.pid) (\(sanitized(target.name)), user \(target.user)); it belongs to another user: run portdash as that user or as root")
            case ESRCH:
                return  // exited in between: the goal is met
            default:
                throw .system(call: "signal \(target.pid)", errno: errno)
            }
        }

        /// True once the process is gone (or is a zombie: it no longer holds its sockets).
        func isGone() -> Bool {
            guard let st = reader.stat(target.pid) else { return true }
            return st.startTime != target.startTime || st.state == "Z" || st.state == "X"
        }

        func waitExit(timeout: Double, progress: (Double) -> Void) -> Bool {
            let deadline = monotonicSeconds() + timeout
            while true {
                if isGone() { return true }
                let left = deadline - monotonicSeconds()
                if left <= 0 { return false }
                progress(left)
                let slice = Int32(min(left, 0.1) * 1000)
                if pidfd >= 0 {
                    var p = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                    if poll(&p, 1, max(slice, 1)) > 0 { return true }
                } else {
                    usleep(UInt32(max(slice, 1)) * 1000)
                }
            }
        }

        func close() { if pidfd >= 0 { Glibc.close(pidfd) } }
    }
}
