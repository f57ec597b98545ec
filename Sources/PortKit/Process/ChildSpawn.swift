import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How to start one child process.
public struct SpawnRequest: Sendable {
    public var argv: [String]
    /// "NAME=value" entries: the child's whole environment.
    public var environment: [String]
    /// The child's working directory; nil: ours.
    public var directory: String?
    /// A process group of its own (pgid = its pid), so that a terminal's
    /// Ctrl-C reaches only us, and a stop reaches everything it started.
    public var newProcessGroup = false
    /// Where its stdout and stderr go; nil: ours.
    public var output: Int32?
    /// stdin from /dev/null instead of ours (services of `up` share no terminal input).
    public var nullInput = false

    public init(argv: [String], environment: [String], directory: String? = nil) {
        self.argv = argv; self.environment = environment; self.directory = directory
    }
}

/// posix_spawn with a clean signal state: `run` and `up` start children here.
public enum ChildSpawn {
    public static func spawn(_ r: SpawnRequest) -> Result<pid_t, Errno> {
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // The child gets an empty mask (we block the signals we wait for) and
        // every signal back to its default: ignored dispositions survive exec.
        var empty = sigset_t(), dflt = sigset_t()
        sigemptyset(&empty)
        sigfillset(&dflt)
        sigdelset(&dflt, SIGKILL)
        sigdelset(&dflt, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &dflt)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if r.newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attr, 0)
        }
        posix_spawnattr_setflags(&attr, Int16(flags))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if r.nullInput { posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0) }
        if let out = r.output {
            posix_spawn_file_actions_adddup2(&actions, out, 1)
            posix_spawn_file_actions_adddup2(&actions, out, 2)
        }
        if let dir = r.directory { pd_spawn_addchdir(&actions, dir) }

        let args: [UnsafeMutablePointer<CChar>?] = r.argv.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = r.environment.map { strdup($0) } + [nil]
        defer { args.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, r.argv[0], &actions, &attr, args, envp)
        return rc == 0 ? .success(pid) : .failure(Errno(rawValue: rc))
    }
}

/// Our environment as "NAME=value" entries, without the names `drop` says,
/// then `set` appended (so a set name is never there twice).
public func childEnvironment(dropping drop: (String) -> Bool = { _ in false }, setting set: [(String, String)]) -> [String] {
    let names = Set(set.map(\.0))
    var out: [String] = []
    var e = environ
    while let p = e.pointee {
        let entry = String(cString: p)
        let name = String(entry.prefix { $0 != "=" })
        if !names.contains(name) && !drop(name) { out.append(entry) }
        e += 1
    }
    return out + set.map { "\($0.0)=\($0.1)" }
}
