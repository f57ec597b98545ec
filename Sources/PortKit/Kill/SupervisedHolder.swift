/// A port whose lease says a running `portdash up` or `portdash run` started
/// its holder: `kill` still works, but first says what it hits — a
/// service killed from outside is a crash to its supervisor (`up` restarts
/// it or stops the rest; `run` ends and releases the lease).
public struct SupervisedHolder: Sendable, Equatable, CustomStringConvertible {
    public let port: UInt16
    /// "web", "web.debug".
    public let service: String
    public let project: LeaseProject?
    public let supervisor: ProcessStamp

    /// nil unless `lease` (the port's) is bound to a service whose supervisor still runs.
    public init?(port: UInt16, lease: Lease?, reader: ProcessReader = ProcessReader()) {
        guard let lease, lease.port == port, let s = lease.owner?.supervisor, reader.isRunning(s) else { return nil }
        self.port = port
        service = lease.project?.portName.map { lease.service + "." + $0 } ?? lease.service
        project = lease.project
        supervisor = s
    }

    /// One line for `kill`, before it signals.
    public var description: String {
        guard let project else {
            return "port \(port) is \(sanitized(service)), run by portdash run (pid \(supervisor.pid)); "
                + "killing it ends that run and releases the lease"
        }
        let name = sanitized(project.name), base = sanitized(service.split(separator: ".").first.map(String.init) ?? service)
        return "port \(port) is \(sanitized(service)) of \(name), run by portdash up (pid \(supervisor.pid)); "
            + "to that up this is a crash (it restarts \(base) or stops the others): "
            + "portdash stop \(base) in \(sanitized(project.root)) stops it alone"
    }
}
