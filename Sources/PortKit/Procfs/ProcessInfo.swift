#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What portdash shows about one process.
public struct ProcessDetails: Sendable, Equatable {
    public let pid: Int32
    public let ppid: Int32
    /// The command name (comm), e.g. "python3".
    public let name: String
    public let uid: UInt32
    public let user: String
    public let cmdline: [String]
    /// /proc/PID/stat field 22: clock ticks after boot.
    public let startTime: UInt64

    public init(pid: Int32, ppid: Int32, name: String, uid: UInt32, user: String, cmdline: [String], startTime: UInt64) {
        self.pid = pid; self.ppid = ppid; self.name = name; self.uid = uid
        self.user = user; self.cmdline = cmdline; self.startTime = startTime
    }

    /// The command line as one string, or "[name]" for a kernel thread.
    public var commandText: String {
        cmdline.isEmpty ? "[\(name)]" : cmdline.joined(separator: " ")
    }

    /// The command line for a narrow column, as a developer recognises it:
    /// the program's directory is dropped, and so is an interpreter's
    /// script's ("/root/.pyenv/versions/3.11.7/bin/python3 /srv/shop/app.py"
    /// reads "python3 app.py"), so rows differ where they matter. A
    /// forwarding proxy says where it forwards to.
    public var shortCommandText: String {
        guard let program = cmdline.first else { return "[\(name)]" }
        if let target = forwardsTo { return "\(name) → \(target)" }
        var words = [ProcessDetails.basename(program)] + cmdline.dropFirst()
        if ProcessDetails.isInterpreter(words[0]),
           let script = words.indices.dropFirst().first(where: { !words[$0].hasPrefix("-") }),
           words[script - 1] != "-m", words[script - 1] != "-c" {
            words[script] = ProcessDetails.basename(words[script])
        }
        return words.joined(separator: " ")
    }

    static let interpreters: Set<Substring> = ["python", "node", "nodejs", "ruby", "perl", "php", "bun", "deno", "bash", "sh", "dash", "zsh"]

    /// "python3.11", "node", "ruby3.2": an interpreter, whatever its version suffix.
    static func isInterpreter(_ program: String) -> Bool {
        var name = Substring(program)
        while let c = name.last, c.isNumber || c == "." { name.removeLast() }
        return interpreters.contains(name)
    }

    /// "/usr/bin/python3" → "python3"; a path with spaces (a process that
    /// rewrote its argv, like "nginx: master process") is left alone.
    static func basename(_ word: String) -> String {
        guard word.contains("/"), !word.contains(" "), let slash = word.lastIndex(of: "/"), slash != word.indices.last else { return word }
        return String(word[word.index(after: slash)...])
    }

    /// Where a port-forwarding proxy sends what it accepts: docker-proxy's
    /// `-container-ip 172.17.0.2 -container-port 80` → "172.17.0.2:80".
    public var forwardsTo: String? {
        guard name == "docker-proxy" else { return nil }
        func value(_ flag: String) -> String? {
            guard let i = cmdline.firstIndex(of: flag), i + 1 < cmdline.count else { return nil }
            return cmdline[i + 1]
        }
        guard let ip = value("-container-ip"), let port = value("-container-port") else { return nil }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}

/// Reads processes from a proc root. Every read tolerates the process
/// vanishing or being unreadable: the result is nil, not an error.
public struct ProcessReader: Sendable {
    public let root: ProcRoot
    public init(root: ProcRoot = .system) { self.root = root }

    public func stat(_ pid: Int32) -> ProcStat? {
        let file = "\(pid)/stat"
        guard case .success(let bytes) = root.read(file) else { return nil }
        return try? ProcStat.parse(bytes, file: root.path + "/" + file)
    }

    /// The command name of a lease's owner, or nil if that process (pid and
    /// start time) is no longer running.
    public func name(of owner: LeaseOwner) -> String? {
        stat(owner.pid).flatMap { $0.startTime == owner.startTime ? $0.comm : nil }
    }

    /// The start time, or nil if the process is gone (or a zombie is being reaped).
    public func startTime(_ pid: Int32) -> UInt64? { stat(pid)?.startTime }

    public func details(_ pid: Int32, users: UserNames = .shared) -> ProcessDetails? {
        guard let stat = stat(pid) else { return nil }
        var uid: UInt32 = UInt32.max
        if case .success(let bytes) = root.read("\(pid)/status"),
           let status = try? ProcStatus.parse(bytes, file: "\(pid)/status") {
            uid = status.effectiveUID
        }
        var cmdline: [String] = []
        if case .success(let bytes) = root.read("\(pid)/cmdline") { cmdline = ProcCmdline.parse(bytes) }
        return ProcessDetails(pid: pid, ppid: stat.ppid, name: stat.comm, uid: uid,
                              user: uid == UInt32.max ? "?" : users.name(uid),
                              cmdline: cmdline, startTime: stat.startTime)
    }

    /// The chain of parents from `pid` (exclusive) up to pid 1.
    /// Is this exact process (pid and start time, field 22) still running?
    /// A zombie no longer counts: it holds no sockets and will never listen.
    public func isRunning(_ owner: LeaseOwner) -> Bool {
        guard let stat = stat(owner.pid) else { return false }
        return stat.startTime == owner.startTime && stat.state != "Z"
    }

    public func ancestors(of pid: Int32) -> [Int32] {
        var chain: [Int32] = []
        var current = pid
        while current > 1, chain.count < 4096, let s = stat(current) {
            current = s.ppid
            if current <= 0 { break }
            chain.append(current)
        }
        return chain
    }
}

/// uid → user name through getpwuid_r (so NSS/LDAP users work), cached:
/// a lookup may cost a file read or a network round trip.
public final class UserNames: @unchecked Sendable {
    public static let shared = UserNames()
    private var cache: [UInt32: String] = [:]
    private var lock = pthread_mutex_t()

    public init() { pthread_mutex_init(&lock, nil) }

    /// Fixed names, for tests and golden files that must not depend on the machine.
    public convenience init(preset: [UInt32: String]) {
        self.init()
        cache = preset
    }

    public func name(_ uid: UInt32) -> String {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let cached = cache[uid] { return cached }
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 4096)
        let name: String
        if getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil {
            name = String(cString: pwd.pw_name)
        } else {
            name = String(uid)
        }
        cache[uid] = name
        return name
    }
}
