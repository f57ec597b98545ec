import PortKit

/// The command that gets a project's service running again, in the state
/// it is in now: while its `portdash up` runs, `up SERVICE` would refuse
/// (the checkout's up holds the ports), so it is `portdash restart SERVICE`;
/// with none, `portdash up SERVICE`. What the router's 502 page says.
public enum StartCommand {
    /// "cd /src/shop && portdash restart docs", "cd /src/shop && portdash up docs".
    public static func line(for lease: Lease, root: String, reader: ProcessReader = ProcessReader()) -> String {
        let verb = upRuns(lease, reader: reader) ? "restart" : "up"
        return "cd \(ShellQuote.directory(root)) && portdash \(verb) \(ShellQuote.quoted(lease.service))"
    }

    /// The lease's supervisor (the `up` running the service) runs; or, with
    /// no supervisor named, its owner does: a project's lease whose service
    /// waits to start or restart is held by its `up` itself.
    static func upRuns(_ lease: Lease, reader: ProcessReader) -> Bool {
        guard let owner = lease.owner else { return false }
        if let s = owner.supervisor { return reader.isRunning(s) }
        return reader.isRunning(owner.process)
    }
}
