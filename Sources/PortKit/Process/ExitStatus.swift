import CLinux

/// How a child ended, from waitpid's status.
public enum ExitStatus: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    public init(waitStatus status: Int32) {
        let sig = status & 0x7f
        self = sig == 0 ? .exited((status >> 8) & 0xff) : .signaled(sig)
    }

    /// As a shell reports it: the exit code, or 128+N when signal N ended it.
    public var code: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        }
    }

    /// "status 3", "SIGPIPE (signal 13)".
    public var description: String {
        switch self {
        case .exited(let c): return "status \(c)"
        case .signaled(let s): return signalName(s).hasPrefix("SIG") ? "\(signalName(s)) (signal \(s))" : signalName(s)
        }
    }

    /// How it ended, as a sentence's verb: "exited with status 3", "was killed by SIGPIPE (signal 13)".
    public var ending: String {
        switch self {
        case .exited: return "exited with \(self)"
        case .signaled: return "was killed by \(self)"
        }
    }
}

/// Signals a supervisor (`run`, `up`) handles itself rather than dying of.
public enum ChildSignals {
    /// Those that stop a run: before its command starts, or all of `up`.
    public static let cancelling = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    /// Passed on by `run`: every catchable signal whose default action ends
    /// a process (so no signal can end portdash and leave the child running
    /// with its lease), and SIGWINCH. SIGPIPE too: one sent by kill(2)
    /// reaches the child; one our own write to a closed pipe raises (it
    /// is blocked, so the write just fails) also goes to the child, whose
    /// output is that same pipe. Not the fault signals (ILL, SEGV, BUS, FPE,
    /// SYS, TRAP, ABRT), which are about portdash itself.
    public static let forwarded = cancelling + [SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ,
                                                SIGIO, SIGPWR, SIGSTKFLT, SIGWINCH, SIGPIPE]

    /// Blocks `signals` (so none is lost before we wait for them) and returns the set.
    @discardableResult
    public static func block(_ signals: [Int32]) -> sigset_t {
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in signals { sigaddset(&mask, s) }
        sigprocmask(SIG_BLOCK, &mask, nil)
        return mask
    }
}
