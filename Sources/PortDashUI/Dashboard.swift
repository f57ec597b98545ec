import CLinux
import PortKit
import Glibc

/// The dashboard: a terminal, a scan worker and a run loop.
public enum Dashboard {
    /// Asks the `portdash up` running in a checkout to restart one of its
    /// services (R): the line to show, and whether it was asked. Handed in
    /// by the command, which knows the control socket; called off the UI
    /// thread (it may wait for an `up` that does not answer).
    public typealias Restarter = @Sendable (_ root: String, _ service: String) -> (String, Bool)

    /// Runs until the user quits or a signal arrives; returns the exit status.
    public static func run(range: PortRange, store: LeaseStore, interval: Double,
                           restarter: Restarter? = nil) throws(PortKitError) -> Int32 {
        let sigfd = runLoopSignals()
        defer { if sigfd >= 0 { close(sigfd) } }  // the run loop reads it; it is closed here, once
        let noColor = !(processEnvironment("NO_COLOR") ?? "").isEmpty
        let terminal = CursesTerminal(color: !noColor)
        // Every way out (quit, signal, an error thrown) passes here:
        // endwin() and bracketed paste off.
        defer { terminal.stop() }
        let loop = try RunLoop(range: range, store: store, interval: interval, terminal: terminal,
                           refresher: .live(store: store), signalFD: sigfd,
                           environment: { SystemLeaseEnvironment(range: range) }, restarter: restarter)
        return loop.run()
    }

    /// SIGINT/SIGTERM/SIGHUP/SIGQUIT arrive through a signalfd, so quitting
    /// on them is an ordinary path through terminal.stop(), not a handler;
    /// SIGTSTP (Ctrl-Z) too, so the terminal is handed back whole, bracketed
    /// paste off, before stopping (curses' own handler would leave it on).
    static func runLoopSignals() -> Int32 {
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP] { sigaddset(&mask, s) }
        sigprocmask(SIG_BLOCK, &mask, nil)
        return signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK))
    }
}
