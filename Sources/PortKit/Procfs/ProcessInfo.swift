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

    /// The command line for a narrow column: the program's directory is
    /// dropped ("/root/.pyenv/versions/3.11.7/bin/python3 -m http.server"
    /// reads "python3 -m http.server"), so rows differ where they matter.
    public var shortCommandText: String {
        guard var first = cmdline.first else { return "[\(name)]" }
        if first.hasPrefix("/"), !first.contains(" "), let slash = first.lastIndex(of: "/") {
            first = String(first[first.index(after: slash)...])
        }
        return ([first] + cmdline.dropFirst()).joined(separator: " ")
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
