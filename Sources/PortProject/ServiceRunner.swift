import CLinux
import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How `up` runs.
public struct UpOptions: Sendable {
    /// Seconds a `ready = "port"` service has to listen.
    public var timeout: Double = 30
    /// Seconds between TERM and KILL when stopping.
    public var grace: Double = ProcessKiller.defaultGracePeriod
    /// A service that exits on its own does not stop the others.
    public var keepGoing = false
    public var color = false
    public init() {}
}

/// `portdash up` once its ports are leased: starts the services in
/// dependency order, each in its own process group, waits for each one's
/// readiness before its dependents, prefixes their output, and stops them
/// all — TERM to each group, a grace period, KILL — on a signal, a service
/// that ends, or one that never gets ready. Then releases the leases.
public final class ServiceRunner {
    enum Phase: Equatable { case running, terminating(until: Double), killing(until: Double), done }

    let project: Project
    let order: [String]
    let leaser: ProjectLeaser
    let ports: ProjectPorts
    let options: UpOptions
    /// The `up` process: the leases' owner until each service runs.
    let me: LeaseOwner
    /// One line for the user (through portdash's sanitizer).
    let say: (String) -> Void
    let prefixer: OutputPrefixer
    let readiness: ReadinessCheck
    var services: [ServiceProcess] = []
    var owners: [String: LeaseOwner] = [:]
    var phase = Phase.running
    var exitCode: Int32?
    var lastCheck = 0.0

    public init(project: Project, order: [String], leaser: ProjectLeaser, ports: ProjectPorts, options: UpOptions,
                me: LeaseOwner, say: @escaping (String) -> Void) {
        self.project = project; self.order = order; self.leaser = leaser; self.ports = ports
        self.options = options; self.me = me; self.say = say
        prefixer = OutputPrefixer(names: order, color: options.color)
        readiness = ReadinessCheck(store: leaser.store)
    }

    /// Runs until everything has stopped; the exit code (see `up --help`).
    /// The caller has blocked `ChildSignals.cancelling` and SIGCHLD since
    /// before leasing, so none was lost.
    public func run() -> Int32 {
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in ChildSignals.cancelling + [SIGCHLD] { sigaddset(&mask, s) }
        signal(SIGPIPE, SIG_IGN)  // stdout closed: drop output, keep supervising
        _ = pd_set_child_subreaper()
        let sfd = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        defer { close(sfd) }
        while phase != .done {
            handleSignals(sfd)
            if phase == .running { step() } else { advanceStop() }
            if phase != .done { poll(sfd) }
        }
        for s in services { _ = s.read(into: prefixer); s.closeOutput(prefixer) }
        releaseLeases()
        return exitCode ?? 0
    }

    /// While running: readiness, what can start now, timeouts, the end.
    func step() {
        checkReadiness()
        startUnblocked()
        checkTimeouts()
        let pending = order.contains { name in !services.contains { $0.spec.name == name } }
        if phase == .running && !pending && services.allSatisfy({ $0.exit != nil }) {
            exitCode = services.compactMap { $0.exit?.code }.first { $0 != 0 } ?? 0
            phase = .done
        }
    }

    /// Waits for a signal or output, at most as long as the next check needs.
    func poll(_ sfd: Int32) {
        var fds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
        fds += services.filter { $0.output >= 0 }.map { pollfd(fd: $0.output, events: Int16(POLLIN), revents: 0) }
        let waiting = services.contains { !$0.ready && $0.exit == nil && $0.spec.ready == .port }
        let timeout: Int32 = phase != .running ? 50 : waiting ? 100 : 1000
        _ = Glibc.poll(&fds, nfds_t(fds.count), timeout)
        for s in services where s.output >= 0 { _ = s.read(into: prefixer) }
    }
}
