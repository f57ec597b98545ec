import PortKit
#if canImport(Glibc)
import Glibc
#endif

/// What the runner's shell tells the core.
public enum SupervisorEvent: Sendable, Equatable {
    /// A service's main process started (or could not: `failed` says why).
    case started(String, at: Double)
    case startFailed(String, why: String)
    /// Its main port is listened on by a process of its group.
    case ready(String)
    /// Its main process ended (reaped); the group may live on (a daemon).
    case exited(String, ExitStatus)
    /// Its group has no process left.
    case emptied(String)
    /// INT, TERM, HUP or QUIT reached `up`.
    case signal(Int32)
    /// Time passed (monotonic seconds).
    case tick(Double)
    /// `portdash restart` / `portdash stop` from another terminal.
    case restart([String])
    case stop([String])
}

/// What the core asks of the shell.
public enum SupervisorAction: Sendable, Equatable {
    case start(String)
    /// `sig` to every process of the service's group.
    case signal(String, Int32)
    /// The whole group, at once (cgroup.kill, or SIGKILL through each pidfd).
    case kill(String)
    case say(String)
    /// Everything has stopped: release the leases and exit with this code.
    case finish(Int32)
}

/// How `up` runs its services, as a pure state machine: events in, actions
/// out, no clock or process of its own — so every transition has a unit
/// test, and the shell around it (signalfd, poll, reaping, the groups) stays
/// thin. A service runs while its group has a process; its main process
/// ending alone (a daemon that forked away) does not end it.
public struct SupervisorCore: Sendable {
    public struct Settings: Sendable {
        public var readyTimeout: Double = 30
        public var grace: Double = 3
        public var keepGoing = false
        public init() {}
    }

    public enum State: Sendable, Equatable {
        /// Not started yet: waiting for what it depends on.
        case waiting
        /// Started at `since`; not ready yet.
        case starting(since: Double)
        case ready(since: Double)
        /// Ended; starts again at `until`.
        case backingOff(until: Double)
        /// Asked to stop (`then`: start again once its group is empty).
        case stopping(deadline: Double, killed: Bool, restart: Bool)
        /// Ended, for good (its status, nil if it never ran or was stopped).
        case ended(ExitStatus?)
    }

    public struct Service: Sendable, Equatable {
        public var state: State = .waiting
        /// Main process reaped / group empty, since the last start.
        public var mainExited: ExitStatus?
        public var groupEmpty = true
        public var attempts = 0
        /// Started at least once (so its group was made).
        public var ranOnce = false
    }

    public let order: [String]
    public let dependsOn: [String: [String]]
    public let restart: [String: RestartPolicy]
    public let settings: Settings
    /// Services that are ready as soon as they start (`ready = "none"`).
    public let readyAtOnce: Set<String>
    /// Each service's main port, for messages.
    public let ports: [String: UInt16]
    public internal(set) var services: [String: Service]
    /// Set once everything is being stopped: the exit code.
    public internal(set) var stopping: Int32?
    var stopDeadline = 0.0
    var killSent = false
    var now = 0.0
    var finished = false

    public init(order: [String], dependsOn: [String: [String]] = [:], restart: [String: RestartPolicy] = [:],
                readyAtOnce: Set<String> = [], ports: [String: UInt16] = [:], settings: Settings = Settings()) {
        self.order = order; self.dependsOn = dependsOn; self.restart = restart; self.settings = settings
        self.readyAtOnce = readyAtOnce; self.ports = ports
        services = Dictionary(uniqueKeysWithValues: order.map { ($0, Service()) })
    }

    /// The first actions: every service with nothing to wait for.
    public mutating func begin(at time: Double) -> [SupervisorAction] {
        now = time
        return startUnblocked()
    }

    public mutating func handle(_ event: SupervisorEvent) -> [SupervisorAction] {
        guard !finished else { return [] }
        var out: [SupervisorAction]
        switch event {
        case .started(let n, let at): out = started(n, at: at)
        case .startFailed(let n, let why): out = startFailed(n, why: why)
        case .ready(let n): out = ready(n)
        case .exited(let n, let status): out = exited(n, status)
        case .emptied(let n): out = emptied(n)
        case .signal(let sig): out = signalled(sig)
        case .tick(let t): now = t; out = tick()
        case .restart(let names): out = restartRequested(names)
        case .stop(let names): out = stopRequested(names)
        }
        return out + finishIfDone()
    }

    /// Is this service's group still running something?
    public func isRunning(_ name: String) -> Bool {
        guard let s = services[name] else { return false }
        switch s.state {
        case .starting, .ready, .stopping: return true
        default: return false
        }
    }

    public var runningNames: [String] { order.filter(isRunning) }
}
