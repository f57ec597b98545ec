import CLinux
import PortKit
import SystemPackage
import Glibc

/// Polls the keyboard, the scan worker and the signals together; applies
/// what arrives to the state; redraws when something changed.
final class RunLoop {
    /// How long the kill box must be on screen, with no input, before `y`
    /// counts: longer than a paste or key repeat takes between two keys,
    /// shorter than a person takes to read the box.
    static let armDelay = 0.3

    let store: LeaseStore
    let terminal: any Terminal
    let signalFD: Int32
    let worker: ScanWorker
    let renderer = Renderer()
    let pool: LeasePool
    let killer = ProcessKiller()
    var state: DashboardState
    var layout = Layout()
    var drawn: DashboardState? = nil
    var sizeDrawn = (0, 0)
    var scanInFlight = false
    var rescanPending = true
    var nextScan = monotonicSeconds()
    /// The world reserve asks (the real machine; a fixture in tests).
    let environment: () -> any LeaseEnvironment
    /// nil: not wired (tests of other keys).
    let restarter: Dashboard.Restarter?
    /// When the open kill box arms (nil: no box waiting to arm).
    var armAt: Double? = nil
    /// The port of the last kill, until a scan started after it ended has
    /// said how it stands (a scan from before may still see the exiting process).
    var killedPort: UInt16? = nil
    var killEndedAt = Double.infinity
    var scanStartedAt = 0.0

    /// Everything from outside is handed in: the terminal (curses, or a
    /// test's), the refresher (the real machine, or a fixture /proc), the
    /// signal descriptor (-1: none).
    init(range: PortRange, store: LeaseStore, interval: Double, terminal: any Terminal,
         refresher: Refresher<CachingOwnerResolver>, signalFD: Int32,
         environment: @escaping () -> any LeaseEnvironment, restarter: Dashboard.Restarter? = nil) throws(PortKitError) {
        self.environment = environment
        self.restarter = restarter
        self.store = store
        self.terminal = terminal
        self.signalFD = signalFD
        worker = try ScanWorker(refresher: refresher, statePath: store.path)
        pool = LeasePool(range: range)
        state = DashboardState(range: range, statePath: store.path, interval: interval)
        state.log("watching \(range); state file \(store.path)", at: epochSeconds(), style: .dim)
    }

    /// Returns the exit status: 0 on quit, 128 + N on signal N; a poll
    /// that fails (not a signal: the loop cannot wait any more) is thrown.
    func run() throws(PortKitError) -> Int32 {
        while true {
            startScanIfDue()
            armIfDue()
            drawIfChanged()
            var fds = [pollfd(fd: terminal.inputDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: worker.wakeRead.rawValue, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signalFD, events: Int16(POLLIN), revents: 0)]
            if case .failure(let e) = Syscalls.poll(&fds, milliseconds: pollTimeout()) { throw .system(call: "poll", errno: e) }
            if fds[2].revents != 0 {
                let signal = takeSignal()
                guard signal == SIGTSTP else { return 128 + signal }
                suspend()
            }
            takeMessages()
            // Keys: drain everything pending (also after EINTR: SIGWINCH → KEY_RESIZE).
            if let status = readKeys() { return status }
        }
    }

    func startScanIfDue() {
        guard !scanInFlight && (rescanPending || monotonicSeconds() >= nextScan) else { return }
        worker.scan(state.scope)
        scanStartedAt = monotonicSeconds()
        scanInFlight = true
        rescanPending = false
    }

    /// The kill box arms once it has been drawn and input has stayed quiet
    /// for `armDelay`; input still waiting then was typed before the box
    /// could be read, and is dropped. A box not on screen (the terminal too small for it, or resized and
    /// not drawn again yet) is not armed, and its wait starts again once it
    /// is drawn: `y` counts only for a box the user could read.
    func armIfDue() {
        guard case .confirmKill = state.mode else { armAt = nil; return }
        let size = terminal.size
        guard size.width >= Renderer.minWidth, size.height >= Renderer.minHeight, sizeDrawn == (size.width, size.height) else {
            state.confirmArmed = false
            armAt = nil
            return
        }
        guard !state.confirmArmed else { armAt = nil; return }
        let now = monotonicSeconds()
        guard let at = armAt else { armAt = now + RunLoop.armDelay; return }
        guard now >= at else { return }
        terminal.discardTypeAhead()
        state.confirmArmed = true
        armAt = nil
    }

    func drawIfChanged() {
        let size = terminal.size
        guard drawn != state || sizeDrawn != (size.width, size.height) else { return }
        let (grid, newLayout, cursor) = renderer.render(state, width: size.width, height: size.height)
        terminal.draw(grid, cursor: cursor)
        layout = newLayout
        state.scroll = newLayout.scroll
        drawn = state
        sizeDrawn = (size.width, size.height)
    }

    /// Milliseconds until the next scan or the kill box's arming; -1: until input.
    func pollTimeout() -> Int32 {
        var deadline = scanInFlight ? Double.infinity : nextScan
        if let at = armAt { deadline = min(deadline, at) }
        guard deadline.isFinite else { return -1 }
        return Int32((max(0, min(60, deadline - monotonicSeconds())) * 1000).rounded(.up))
    }

    /// Ctrl-Z: give the terminal back, stop until SIGCONT, take it again.
    /// The stop is SIGTSTP's default action, not SIGSTOP, so the kernel
    /// still decides: in an orphaned process group (no job-control shell
    /// to continue us) it is discarded and the dashboard carries on.
    func suspend() {
        terminal.suspend()
        var tstp = sigset_t()
        sigemptyset(&tstp)
        sigaddset(&tstp, SIGTSTP)
        signal(SIGTSTP, SIG_DFL)  // curses installed a handler of its own
        raise(SIGTSTP)  // pending while blocked...
        pthread_sigmask(SIG_UNBLOCK, &tstp, nil)  // ...and acted on here: stopped until SIGCONT
        pthread_sigmask(SIG_BLOCK, &tstp, nil)
        terminal.resume()
        drawn = nil
    }

    /// The signal that woke the loop (SIGTERM if it cannot be read: ending is the safe reading).
    func takeSignal() -> Int32 {
        Syscalls.takeSignal(FileDescriptor(rawValue: signalFD)) ?? SIGTERM
    }

    func takeMessages() {
        for message in worker.take() {
            switch message {
            case .scanned(let refresh, let scope, let router):
                state.router = router
                let view: DashboardState.View = scope == .pool(state.range) ? .pool : .listeners
                state.apply(refresh.snapshot, scanSeconds: refresh.seconds, view: view)
                state.apply(stateDamage: refresh.damage, at: refresh.snapshot.takenAt)
                if view == .pool { state.warnings = refresh.warnings }
                reportKilledPort()
                scanDone()
            case .scanFailed(let why):
                state.message = .init(why, .error)
                scanDone()
            case .killProgress(let text):
                state.killProgress = text
            case .log(let text, let style, let rescan):
                state.log(text, at: epochSeconds(), style: style)
                state.message = .init(text, style)
                if rescan { rescanPending = true }
                if killedPort != nil && state.killProgress == nil { killEndedAt = min(killEndedAt, monotonicSeconds()) }
            }
        }
    }

    func scanDone() {
        scanInFlight = false
        nextScan = monotonicSeconds() + state.interval
    }

    /// Reads every key waiting: one burst. When a burst holds more than one
    /// key, all of them came faster than a person types (a paste where the
    /// terminal does not bracket pastes, keys pressed ahead), the first one
    /// too: each is handled as typed ahead, so none submits, releases or
    /// confirms. Returns nil to go on, else the exit status (0 on quit, 130
    /// on a typed Ctrl-C).
    func readKeys() -> Int32? {
        var burst: [Key] = []
        while let key = terminal.readKey() { burst.append(key) }
        let typedAhead = burst.filter { $0 != .resize }.count > 1
        for key in burst {
            // Typed, these do what their signals would with ISIG on (raw mode).
            if key == .ctrl("c") { return 128 + SIGINT }
            if key == .ctrl("z") { suspend(); continue }
            // Input while the kill box waits to arm puts its arming off.
            if armAt != nil { armAt = monotonicSeconds() + RunLoop.armDelay }
            let reaction = KeyBindings.handle(key, &state, layout: layout, typedAhead: typedAhead)
            if reaction.flags.contains(.quit) { return 0 }
            follow(reaction, key: key)
            if reaction.flags.contains(.dropTypeAhead) {
                terminal.discardTypeAhead()
                break
            }
        }
        return nil
    }

    /// Does what a key's reaction asks for.
    func follow(_ reaction: Reaction, key: Key) {
        if reaction.flags.contains(.repaint) { terminal.invalidate(); drawn = nil }
        if reaction.flags.contains(.rescan) { rescanPending = true }
        if reaction.flags.contains(.reschedule) { nextScan = min(nextScan, monotonicSeconds() + state.interval) }
        if key == .resize { drawn = nil }
        if let command = reaction.command {
            perform(command)
            rescanPending = true
        }
    }

    /// Reserve and release go through the same engine and lock as the
    /// command line; a kill and a restart request run in the background.
    func perform(_ command: Reaction.Command) {
        switch command {
        case .reserve(let port, let service):
            let env = environment()
            let r = Result { () throws(PortKitError) in
                try store.update { (book: inout LeaseBook) throws(PortKitError) in try pool.reserve(port, for: service, in: &book, env: env) }
            }
            switch r {
            case .success: state.message = .init("reserved \(port) for \(service)", .ok)
            case .failure(let e): state.message = .init(e.description, .error); state.log(e.description, at: epochSeconds(), style: .error)
            }
        case .release(let port):
            let env = environment()
            let r = Result { () throws(PortKitError) in
                try store.update { (book: inout LeaseBook) throws(PortKitError) in try pool.release(String(port), in: &book, env: env) }
            }
            switch r {
            case .success(let lease): state.message = .init("released \(port) (\(lease.label))", .ok)
            case .failure(let e): state.message = .init(e.description, .error)
            }
        case .kill(let port, let targets, let signal):
            state.killProgress = "\(signal.name) to \(targets.map { String($0.pid) }.joined(separator: ", "))…"
            worker.kill(targets, port: port, signal: signal, killer: killer, timeout: ProcessKiller.defaultGracePeriod)
            killedPort = port
        case .open(let url):
            state.message = BrowserOpener.open(url)
        case .restart(let root, let service):
            guard let restarter else { state.message = .init("restart is not available here", .error); return }
            // The answer comes as a log message; until then the keys work as ever.
            state.message = .init(sanitized("asking the portdash up of \(root) to restart \(service)…"), .normal)
            worker.restart(service, root: root, restarter: restarter)
        }
    }

    /// After a kill has finished, the first scan says how the port stands:
    /// free, or held again (a respawned worker, a supervisor's new child).
    func reportKilledPort() {
        guard let port = killedPort, scanStartedAt > killEndedAt, let r = state.snapshot?.report(port) else { return }
        killedPort = nil
        killEndedAt = .infinity
        if r.owners.isEmpty && r.isUnheld {
            state.message = .init("\(port) is free now", .ok)
        } else if !r.owners.isEmpty || !r.hiddenUIDs.isEmpty {
            state.message = .init("\(port) is held again, by \(r.holderSummary)", .error)
        } else {
            state.message = .init("\(port) has no process; its \(r.holderSummary) socket clears by itself", .normal)
        }
    }
}
