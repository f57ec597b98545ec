import Glibc

/// The signals a kill may start with (htop's F9 list, trimmed to what
/// stops or reloads a server).
public enum KillSignal: String, CaseIterable, Sendable, Equatable {
    case term = "TERM", int = "INT", hup = "HUP", kill = "KILL", usr1 = "USR1"

    public var number: Int32 {
        switch self {
        case .term: return SIGTERM
        case .int: return SIGINT
        case .hup: return SIGHUP
        case .kill: return SIGKILL
        case .usr1: return SIGUSR1
        }
    }

    /// "TERM", "SIGTERM", "term" or "15".
    public init?(parsing text: String) {
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        if let n = Int32(name), let s = KillSignal.allCases.first(where: { $0.number == n }) { self = s; return }
        guard let s = KillSignal(rawValue: name) else { return nil }
        self = s
    }

    public var name: String { "SIG" + rawValue }
}
