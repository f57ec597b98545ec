import Glibc

/// Refuses a kill before any signal: pid 0 and 1, portdash itself, any of
/// its ancestors (the shell or terminal it runs in), and a pid whose start
/// time is no longer the one shown (the pid was reused).
public struct KillGuard: Sendable {
    public let selfPid: Int32
    public let protected: Set<Int32>
    let reader: ProcessReader

    public init(reader: ProcessReader = ProcessReader(), selfPid: Int32 = getpid()) {
        self.reader = reader
        self.selfPid = selfPid
        self.protected = Set(reader.ancestors(of: selfPid) + [selfPid])
    }

    /// Throws unless signalling `target` is allowed. A pid that no longer
    /// exists is refused here too; ProcessKiller reports that case as
    /// "already exited" before asking.
    public func check(_ target: KillTarget) throws(PortKitError) {
        if let refusal = protection(target) { throw refusal }
        guard let stat = reader.stat(target.pid) else {
            throw .killRefused("pid \(target.pid) (\(sanitized(target.name))) has already exited; nothing was signalled")
        }
        if stat.startTime != target.startTime {
            throw .killRefused("pid \(target.pid) is now a different process (\(sanitized(stat.comm)), started later); nothing was signalled")
        }
    }

    /// Why `target` is never signalled, whatever its state: pid 0 or 1,
    /// portdash itself, or one of its ancestors. `kill` asks this of every
    /// holder before it signals any, so such a port is refused once.
    public func protection(_ target: KillTarget) -> PortKitError? {
        if target.pid <= 1 {
            return .killRefused("refusing to signal pid \(target.pid): it is \(target.pid == 1 ? "init" : "not a single process")")
        }
        if target.pid == selfPid { return .killRefused("refusing to signal pid \(target.pid): that is portdash itself") }
        if protected.contains(target.pid) {
            return .killRefused("refusing to signal pid \(target.pid) (\(sanitized(target.name))): it is an ancestor of portdash (your shell or terminal)")
        }
        return nil
    }
}
