import CLinux
import PortKit

/// The dashboard's run loop: poll the keyboard, the scan worker and the
/// signals together; apply what arrives to the state; redraw when
/// something changed.
public enum Dashboard {
    /// Runs until the user quits or a signal arrives; returns the exit status.
    public static func run(range: PortRange, store: LeaseStore, interval: Double) throws(PortKitError) -> Int32 {
        // SIGINT/SIGTERM/SIGHUP arrive through a signalfd, so quitting on
        // them is an ordinary path through endwin(), not a handler.
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT] { sigaddset(&mask, s) }
        sigprocmask(SIG_BLOCK, &mask, nil)
        let sigfd = signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))

        let noColor = !(processEnvironment("NO_COLOR") ?? "").isEmpty
        let worker = ScanWorker(range: range, store: store)
        let terminal = CursesTerminal(color: !noColor)
        defer { terminal.stop() }

        var state = DashboardState(range: range, statePath: store.path, interval: interval)
        state.log("watching \(range); state file \(store.path)", at: epochSeconds(), style: .dim)
        let renderer = Renderer()
        let pool = LeasePool(range: range)
        let killer = ProcessKiller()
        var layout = Layout()
        var drawn: DashboardState? = nil
        var sizeDrawn = (0, 0)
        var scanInFlight = false
        var rescanPending = true
        var nextScan = monotonicSeconds()
        var exitCode: Int32 = 0

        loop: while true {
            let now = monotonicSeconds()
            if !scanInFlight && (rescanPending || now >= nextScan) {
                worker.scan()
                scanInFlight = true
                rescanPending = false
            }
            let size = terminal.size
            if drawn != state || sizeDrawn != (size.width, size.height) {
                let (grid, newLayout, cursor) = renderer.render(&state, width: size.width, height: size.height)
                terminal.draw(grid, cursor: cursor)
                layout = newLayout
                drawn = state
                sizeDrawn = (size.width, size.height)
            }

            let wait = scanInFlight ? -1 : Int32(max(0, min(60, nextScan - monotonicSeconds())) * 1000)
            var fds = [pollfd(fd: terminal.inputDescriptor, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: worker.wakeRead, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: sigfd, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, nfds_t(fds.count), wait)
            if n < 0 && errno != EINTR { break }

            if fds[2].revents != 0 {
                var info = signalfd_siginfo()
                _ = read(sigfd, &info, MemoryLayout<signalfd_siginfo>.size)
                exitCode = 128 + Int32(info.ssi_signo)
                break loop
            }
            for message in worker.take() {
                switch message {
                case .scanned(let snap, let seconds, let stateError):
                    state.apply(snap, scanSeconds: seconds)
                    if stateError != state.stateError, let e = stateError { state.log(e, at: snap.takenAt, style: .error) }
                    state.stateError = stateError
                    scanInFlight = false
                    nextScan = monotonicSeconds() + state.interval
                case .scanFailed(let why):
                    state.message = (why, .error)
                    scanInFlight = false
                    nextScan = monotonicSeconds() + state.interval
                case .killProgress(let text):
                    state.killProgress = text
                case .log(let text, let style, let rescan):
                    state.log(text, at: epochSeconds(), style: style)
                    state.message = (text, style)
                    if rescan { rescanPending = true }
                }
            }
            // Keys: drain everything pending (also after EINTR: SIGWINCH → KEY_RESIZE).
            while let key = terminal.readKey() {
                let reaction = KeyBindings.handle(key, &state, layout: layout)
                if reaction.flags.contains(.quit) { break loop }
                if reaction.flags.contains(.repaint) { terminal.invalidate(); drawn = nil }
                if reaction.flags.contains(.rescan) { rescanPending = true }
                if reaction.flags.contains(.reschedule) { nextScan = min(nextScan, monotonicSeconds() + state.interval) }
                if key == .resize { drawn = nil }
                if let command = reaction.command {
                    perform(command, &state, store: store, pool: pool, worker: worker, killer: killer)
                    rescanPending = true
                }
            }
        }
        terminal.stop()
        return exitCode
    }

    /// Reserve and release go through the same engine and lock as the
    /// command line; a kill runs in the background with its countdown.
    static func perform(_ command: Reaction.Command, _ state: inout DashboardState, store: LeaseStore, pool: LeasePool,
                        worker: ScanWorker, killer: ProcessKiller) {
        let now = epochSeconds()
        switch command {
        case .reserve(let port, let service):
            let env = SystemLeaseEnvironment(range: state.range)
            let r = Result { () throws(PortKitError) in
                try store.update { (book: inout LeaseBook) throws(PortKitError) in try pool.reserve(port, for: service, in: &book, env: env) }
            }
            switch r {
            case .success: state.message = ("reserved \(port) for \(service)", .ok)
            case .failure(let e): state.message = (e.description, .error); state.log(e.description, at: now, style: .error)
            }
        case .release(let port):
            let r = Result { () throws(PortKitError) in
                try store.update { (book: inout LeaseBook) throws(PortKitError) in try pool.release(String(port), in: &book) }
            }
            switch r {
            case .success(let lease): state.message = ("released \(port) (\(lease.service))", .ok)
            case .failure(let e): state.message = (e.description, .error)
            }
        case .kill(let port, let targets):
            state.killProgress = "signalling \(targets.map { String($0.pid) }.joined(separator: ", "))…"
            worker.kill(targets, port: port, killer: killer, timeout: ProcessKiller.defaultGracePeriod)
        }
    }
}
