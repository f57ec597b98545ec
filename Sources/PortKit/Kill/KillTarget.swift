import Glibc

/// A process as it was shown to the user: the signal goes to this process
/// or to none (never to another process that reused the pid).
public struct KillTarget: Sendable, Equatable {
    public let pid: Int32
    public let startTime: UInt64
    public let name: String
    public let user: String
    public let commandLine: String

    public init(pid: Int32, startTime: UInt64, name: String, user: String, commandLine: String) {
        self.pid = pid; self.startTime = startTime; self.name = name; self.user = user; self.commandLine = commandLine
    }

    public init(_ d: ProcessDetails) {
        self.init(pid: d.pid, startTime: d.startTime, name: d.name, user: d.user, commandLine: d.commandText)
    }

    /// "4242 python3 (ann): python3 app.py"
    public var summary: String { "\(pid) \(sanitized(name)) (\(user)): \(sanitized(commandLine))" }
}

/// What happened to one target.
public enum KillOutcome: Sendable, Equatable, CustomStringConvertible {
    case exited(afterSignal: Int32, seconds: Double)
    /// Still alive after the grace period, then SIGKILLed.
    case killed(seconds: Double)
    /// It was gone before any signal was sent.
    case alreadyGone
    /// The process is still running after the signal (only without escalation).
    case stillRunning(afterSignal: Int32)

    public var description: String {
        switch self {
        case .exited(let sig, let s): return "exited after \(signalName(sig)) (\(formatSeconds(s)))"
        case .killed(let s): return "did not exit within the grace period; SIGKILL sent, gone after \(formatSeconds(s))"
        case .alreadyGone: return "had already exited"
        case .stillRunning(let sig): return "still running after \(signalName(sig))"
        }
    }
}

/// "SIGTERM", "SIGPIPE", "SIGRTMIN+2": the name signal(7) gives the number;
/// "signal 99" only for a number Linux has no name for.
public func signalName(_ sig: Int32) -> String {
    let names = ["HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
                 "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ",
                 "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"]  // 1…31, signal(7)'s x86/arm order
    if sig >= 1 && Int(sig) <= names.count { return "SIG" + names[Int(sig) - 1] }
    let rtmin = Int32(__libc_current_sigrtmin()), rtmax = Int32(__libc_current_sigrtmax())
    if sig >= rtmin && sig <= rtmax { return sig == rtmin ? "SIGRTMIN" : "SIGRTMIN+\(sig - rtmin)" }
    return "signal \(sig)"
}

func formatSeconds(_ s: Double) -> String {
    let ms = Int((s * 1000).rounded())
    return ms < 1000 ? "\(ms) ms" : "\(ms / 1000).\((ms % 1000) / 100) s"
}
