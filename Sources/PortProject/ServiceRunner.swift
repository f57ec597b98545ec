import CLinux
import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
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

/// `portdash up` once its ports are leased: the thin shell around
/// `SupervisorCore`. It turns signals (signalfd), reaped children, output,
/// readiness, empty groups and control requests into the core's events,
/// and carries out the actions the core returns: start a service in its
/// group, signal or kill a group, say a line, finish. Then it releases the
/// leases.
public final class ServiceRunner {
    let project: Project
    let order: [String]
    let leaser: ProjectLeaser
    let ports: ProjectPorts
    let options: UpOptions
    /// The `up` process: the leases' owner until each service runs, and
    /// every service's supervisor.
    let me: LeaseOwner
    let mode: SupervisionMode
    /// This run's parent cgroup (cgroup mode): every service's group is below it.
    let base: String?
    let say: (String) -> Void
    let stdout: OutputSink
    let prefixer: OutputPrefixer
    let readiness: ReadinessCheck
    var core: SupervisorCore
    var services: [String: ServiceProcess] = [:]
    var control: ControlServer?
    var keeper: FileDescriptor?
    var finished: Int32?
    var lastReadiness = 0.0
    var lastTrack = 0.0

    public init(project: Project, order: [String], leaser: ProjectLeaser, ports: ProjectPorts, options: UpOptions,
                me: LeaseOwner, mode: SupervisionMode, base: String?, say: @escaping (String) -> Void) {
        self.project = project; self.order = order; self.leaser = leaser; self.ports = ports
        self.options = options; self.me = me; self.mode = mode; self.base = base; self.say = say
        let out = OutputSink(.standardOutput, label: "stdout")
        stdout = out
        prefixer = OutputPrefixer(names: order, color: options.color, emit: { out.write($0) })
        readiness = ReadinessCheck(store: leaser.store)
        var settings = SupervisorCore.Settings()
        settings.readyTimeout = options.timeout
        settings.grace = options.grace
        settings.keepGoing = options.keepGoing
        let specs = order.compactMap(project.service)
        core = SupervisorCore(
            order: order,
            dependsOn: Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0.dependsOn) }),
            restart: Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0.restart) }),
            readyAtOnce: Set(specs.filter { $0.ready == .none }.map(\.name)),
            ports: ports.all.filter { $0.key.name == nil }.reduce(into: [:]) { $0[$1.key.service] = $1.value },
            settings: settings)
    }

    /// Runs until everything has stopped; the exit code (see `up --help`).
    /// The caller has blocked `ChildSignals.cancelling` and SIGCHLD since
    /// before leasing, so none was lost.
    public func run(control: ControlServer?, keeper: FileDescriptor?) -> Int32 {
        self.control = control
        self.keeper = keeper
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in ChildSignals.cancelling + [SIGCHLD] { sigaddset(&mask, s) }
        signal(SIGPIPE, SIG_IGN)  // stdout closed: drop output, keep supervising
        _ = pd_set_child_subreaper()
        let sfd = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
        defer { close(sfd) }
        perform(core.begin(at: monotonicSeconds()))
        while finished == nil {
            poll(sfd)
            handleSignals(sfd)
            watch()
            perform(core.handle(.tick(monotonicSeconds())))
        }
        // What is there, at most 16 slices: a straggler that keeps the pipe
        // open (or keeps printing) must not keep up from ending.
        for s in services.values {
            for _ in 0..<16 where s.read(into: prefixer) == .slice {}
            s.closeOutput(prefixer)
        }
        finish()
        return finished ?? 0
    }

    /// Waits for a signal, output or a control request: at most 100 ms
    /// (50 while stopping), so timers and groups are looked at often.
    func poll(_ sfd: Int32) {
        var fds = [pollfd(fd: sfd, events: Int16(POLLIN), revents: 0)]
        fds += services.values.filter { $0.output >= 0 }.map { pollfd(fd: $0.output, events: Int16(POLLIN), revents: 0) }
        fds += control?.pollDescriptors ?? []
        _ = Glibc.poll(&fds, nfds_t(fds.count), core.stopping == nil ? 100 : 50)
        for s in services.values where s.output >= 0 { _ = s.read(into: prefixer) }
        let requests = control?.take() ?? []
        // The core's clock first: a request read after up stood still (stopped,
        // a slow lock) is timed from now, so a restart's TERM gets its whole
        // grace, not what was left of it before the stall.
        if !requests.isEmpty { perform(core.handle(.tick(monotonicSeconds()))) }
        for request in requests { perform(core.handle(request)) }
    }

    func handleSignals(_ sfd: Int32) {
        var info = signalfd_siginfo()
        while Glibc.read(sfd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            let sig = Int32(info.ssi_signo)
            if sig != SIGCHLD { perform(core.handle(.signal(sig))) }
        }
        reap()  // SIGCHLD merges; reap whatever ended
    }
}
