import ArgumentParser
import CLinux
import PortDashCLI
import PortKit
import PortProject
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Lease a port for NAME, run COMMAND with it, release it when COMMAND exits.",
        discussion: """
            The port is in $PORT, and every {port} in the arguments is replaced by it. The lease is \
            bound to the child process. Signals sent to portdash (INT, TERM, HUP, QUIT, USR1, USR2, WINCH and \
            PIPE and every other catchable one that would end it) are passed to the child; portdash exits with the child's status (128+N if signal N ended it).
            Example: portdash run web -- python3 -m http.server {port}
            """)

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The service name.")
    var name: String

    @Option(help: "Ask for this port first.")
    var preferred: UInt16?

    @Option(help: ArgumentHelp("The port COMMAND binds by itself: its bind() of it lands on the leased port, and its connect() to 127.0.0.1, ::1 or localhost on it too.",
                               valueName: "port"))
    var binds: UInt16?

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func validate() throws {
        if command.isEmpty { throw ValidationError("no command given; write it after --, e.g. portdash run web -- npm start") }
        if binds == 0 { throw ValidationError("--binds 0 is not a port; give the port the command binds by itself, e.g. --binds 3000") }
    }

    func run() throws {
        let ctx = try Context(global)
        let env = ctx.environment()
        guard let me = env.owner(pid: getpid()) else { throw fail(.procUnavailable(path: "/proc/self/stat", errno: .noSuchFileOrDirectory)) }

        if binds != nil, let problem = RebindSupport.problem(executables: [command[0]], environment: childEnvironment(setting: [])) {
            throw fail(problem)
        }
        // Block the signals we forward before the child exists, so none is lost;
        // the child gets a clean mask and default handlers.
        let mask = ChildSignals.block(ChildSignals.forwarded + [SIGCHLD])

        let grant = try core { () throws(PortKitError) in
            try ctx.store.update { (book: inout LeaseBook) throws(PortKitError) in
                try ctx.pool.grant(LeaseRequest(service: name, preferred: preferred, owner: me, binds: binds), in: &book, env: env)
            }
        }
        for s in grant.skipped { printError("portdash: skipped \(s)") }
        // Ctrl-C (or a kill) while we waited for the lock: do not start at all.
        var pending = sigset_t()
        sigpending(&pending)
        if let sig = ChildSignals.cancelling.first(where: { sigismember(&pending, $0) == 1 }) {
            releaseIfOurs(ctx, owner: me)
            printError("portdash: \(signalName(sig)) before \(command[0]) started; nothing was run, the lease is released")
            throw ExitCode(128 + sig)
        }
        let port = grant.lease.port
        var argv = command.map { $0.replacingAll("{port}", with: String(port)) }
        if let added = DevServerFlags.flags(for: command, port: port) {
            argv += added
            printError("portdash: added \(added.joined(separator: " ")) to \(sanitized(command[0])) (its port flag; name a port in the command to stop this)")
        }

        let mode: SupervisionMode
        switch SupervisionMode.detect(setting: environment("PORTDASH_SUPERVISION")) {
        case .success(let m): mode = m
        case .failure(let e): releaseIfOurs(ctx, owner: me); printError("portdash: " + e.description); throw ExitCode(e.exitCode)
        }
        if case .cgroup(let tree, let parent) = mode { tree.sweepAbandoned(below: parent) }
        let group: ServiceGroup
        switch ServiceGroup.make(mode, below: nil, name: "portdash-run-\(me.pid)-\(me.startTime)") {
        case .success(let g): group = g
        case .failure(let e): releaseIfOurs(ctx, owner: me); printError("portdash: " + e.description); throw ExitCode(e.exitCode)
        }
        if case .pidfd = mode { _ = pd_set_child_subreaper() }  // what the command leaves behind comes to us
        let child: pid_t
        var request = SpawnRequest(argv: argv, environment: childEnvironment(setting: [("PORT", String(port))]))
        request.rebind = binds.map { RebindRules(binds: [$0: port], connects: [$0: port]) }
        // --binds: the command can bind and connect only while we answer its
        // calls, so nothing of it may outlive us: a keeper empties its
        // cgroup if we are killed; in pidfd mode its first process dies with us.
        var keeper: FileDescriptor?
        if binds != nil {
            request.deathSignal = SIGKILL
            if case .cgroup(let tree, _) = mode, let path = group.path { keeper = try? Keeper.start(tree: tree, group: path).get() }
        }
        defer { try? keeper?.close() }
        switch group.spawn(request) {
        case .success(let pid): child = pid
        case .failure(let e):
            releaseIfOurs(ctx, owner: me)
            group.remove()
            printError("portdash: " + e.description(command: argv[0], directory: nil))
            throw ExitCode(e.exitCode)
        }
        // Re-bind the lease to the child's group (or the child), which is what really uses the port.
        var childOwner = me
        if let start = ProcessReader().startTime(child) {
            let o = LeaseOwner(pid: child, startTime: start, group: group.path, supervisor: me.process)
            if rebind(ctx, from: me, to: o) { childOwner = o }
        }
        printError("portdash: \(name)\(binds.map { " binds \($0)" } ?? "") → port \(port) (pid \(child), \(group.path.map { "cgroup " + $0 } ?? "pidfd mode"))")

        let status = supervise(child, mask: mask)
        if binds != nil { staysWithLeftovers(group, mode: mode, mask: mask) }
        if !keepsLease(ctx, group: group, mode: mode, port: port, owner: childOwner) {
            releaseIfOurs(ctx, owner: childOwner)
            releaseIfOurs(ctx, owner: me)
            group.remove()
        }
        throw ExitCode(status)
    }

    /// What the command left running: its cgroup's members, or (pidfd mode)
    /// our descendants, pinned so that a signal reaches exactly them.
    func leftBehind(_ group: ServiceGroup, mode: SupervisionMode) -> [Int32] {
        guard case .pidfd = mode else { return group.members() }
        let table = ProcessTable.subtree(of: getpid())
        let left = table.descendants(of: [getpid()])
        group.track(table, adopted: left)
        return left
    }

    /// --binds: processes the command left behind can bind and connect
    /// only while we answer their calls, so we stay until they end; a
    /// signal (Ctrl-C, TERM, HUP) stops them: TERM, then KILL after the grace.
    func staysWithLeftovers(_ group: ServiceGroup, mode: SupervisionMode, mask: sigset_t) {
        let left = leftBehind(group, mode: mode)
        guard !left.isEmpty else { return }
        let list = left.prefix(10).map(String.init).joined(separator: ", ") + (left.count > 10 ? ", …" : "")
        printError("portdash: \(name) left \(left.count) processes running (pids \(list)); their hard-coded port needs this portdash, so it stays until they end (Ctrl-C stops them)")
        var mask = mask, killAt: Double? = nil
        while !leftBehind(group, mode: mode).isEmpty {
            var info = siginfo_t()
            var wait = timespec(tv_sec: 0, tv_nsec: 200_000_000)
            let sig = sigtimedwait(&mask, &info, &wait)
            while waitpid(-1, nil, WNOHANG) > 0 {}  // orphans that came to us (pidfd mode: the subreaper)
            if sig > 0 && sig != SIGCHLD && killAt == nil {
                group.signal(SIGTERM)
                killAt = monotonicSeconds() + ProcessKiller.defaultGracePeriod
            }
            if let k = killAt, monotonicSeconds() >= k { group.signal(SIGKILL) }
        }
    }

    /// The command has exited: processes it left behind that hold the port
    /// keep the lease (LeasePolicy); the lease then ends when they do.
    func keepsLease(_ ctx: Context, group: ServiceGroup, mode: SupervisionMode, port: UInt16, owner: LeaseOwner) -> Bool {
        let left = leftBehind(group, mode: mode)
        guard !left.isEmpty else { return false }
        let holders = HolderLookup(range: ctx.range).report(port)?.owners.map(\.pid) ?? []
        let list = left.prefix(10).map(String.init).joined(separator: ", ") + (left.count > 10 ? ", …" : "")
        guard LeasePolicy.staysAfterExit(holders: holders, leftBehind: left) else {
            printError("portdash: \(name) left \(left.count) processes running (pids \(list)); none holds port \(port), so the lease is released")
            return false
        }
        printError("portdash: \(name) left \(left.count) processes running (pids \(list)); the lease stays with them")
        if case .pidfd = mode, let holder = holders.first(where: left.contains), let start = ProcessReader().startTime(holder) {
            _ = rebind(ctx, from: owner, to: LeaseOwner(pid: holder, startTime: start))  // no group: the holder itself
        }
        return true
    }

    func rebind(_ ctx: Context, from old: LeaseOwner, to new: LeaseOwner) -> Bool {
        (try? core { () throws(PortKitError) -> Bool in
            try ctx.store.update { (book: inout LeaseBook) throws(PortKitError) -> Bool in
                guard let i = book.leases.firstIndex(where: { $0.key == LeaseKey(service: name) && $0.owner == old }) else { return false }
                book.leases[i].owner = new
                return true
            }
        }) ?? false
    }

    /// Waits for the child, passing on signals sent to us by other processes.
    /// A signal from the terminal (Ctrl-C) already reached the child through
    /// its process group, so it is not sent twice.
    func supervise(_ child: pid_t, mask: sigset_t) -> Int32 {
        var mask = mask
        while true {
            var info = siginfo_t()
            // EINTR is retried; no other failure is possible with this mask.
            guard case .success(let sig) = Syscalls.retryingInterrupts({ sigwaitinfo(&mask, &info) }) else { continue }
            if sig == SIGCHLD {
                var status: Int32 = 0
                let r = waitpid(child, &status, WNOHANG)
                if r == child { return ExitStatus(waitStatus: status).code }
                continue
            }
            // si_code <= 0: sent by kill(2)/sigqueue(2)/tgkill(2). A signal from
            // the terminal (the kernel) already reached the child through our
            // process group, unless the child left it (setsid, setpgid).
            if pd_siginfo_code(&info) <= 0 || getpgid(child) != getpgrp() { kill(child, sig) }
        }
    }

    func releaseIfOurs(_ ctx: Context, owner: LeaseOwner) {
        _ = try? core { () throws(PortKitError) in
            try ctx.store.update { (book: inout LeaseBook) throws(PortKitError) in
                if let l = book.lease(for: name), l.owner == owner {
                    _ = try ctx.pool.release(name, in: &book, env: ctx.environment())
                }
            }
        }
    }
}
