import CLinux
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// How to start one child process.
public struct SpawnRequest: Sendable {
    public var argv: [String]
    /// "NAME=value" entries: the child's whole environment.
    public var environment: [String]
    /// The child's working directory; nil: ours.
    public var directory: String?
    /// A process group of its own (pgid = its pid), so that a terminal's
    /// Ctrl-C reaches only us.
    public var newProcessGroup = false
    /// Where its stdout and stderr go; nil: ours.
    public var output: Int32?
    /// stdin from /dev/null instead of ours (services of `up` share no terminal input).
    public var nullInput = false
    /// stdin from this descriptor instead.
    public var input: Int32?
    /// A group's open `cgroup.procs`: the child joins it before anything
    /// else, so every process it ever starts is in the group.
    public var cgroupProcs: Int32?
    /// A signal the child gets when we die (PR_SET_PDEATHSIG).
    public var deathSignal: Int32 = 0
    /// Hard-coded ports moved to leased ones: the child's bind and connect
    /// calls, and those of everything it starts, go through a
    /// `RebindSupervisor` (seccomp user notification).
    public var rebind: RebindRules?

    public init(argv: [String], environment: [String], directory: String? = nil) {
        self.argv = argv; self.environment = environment; self.directory = directory
    }
}

/// Why a child could not be started: the step that failed, and its errno.
public struct SpawnFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Step: Int32, Sendable {
        case fork = 1, cgroup, signals, processGroup, deathSignal, input, output, directory, exec, seccomp
        /// Not on PATH (found before any process is made).
        case notFound = 100
    }
    public let step: Step
    public let errno: Errno
    public init(step: Step, errno: Errno) { self.step = step; self.errno = errno }

    /// "no such directory: /x", "not found on PATH", "not executable".
    public func description(command: String, directory: String?) -> String {
        switch step {
        case .notFound: return "cannot run \(command): not found on PATH; check the command name and your PATH"
        case .directory: return "cannot enter the working directory \(directory ?? "?"): \(errnoText(errno))"
        case .exec where errno == .noSuchFileOrDirectory: return "cannot run \(command): no such file; check the command name"
        case .exec where errno == .permissionDenied: return "cannot run \(command): not executable (permission denied)"
        case .exec: return "cannot run \(command): \(errnoText(errno))"
        case .cgroup: return "cannot join the service's cgroup: \(errnoText(errno))"
        case .seccomp: return "cannot move \(command)'s hard-coded ports: installing its seccomp filter failed: \(errnoText(errno))"
        default: return "cannot start \(command) (\(step)): \(errnoText(errno))"
        }
    }

    public var description: String { description(command: "the command", directory: nil) }

    /// 127 for a command that is not there, 126 for one that cannot run (sh's codes).
    public var exitCode: Int32 { step == .notFound || (step == .exec && errno == .noSuchFileOrDirectory) ? 127 : 126 }
}

/// fork + exec with every set-up step checked (CLinux's pd_spawn): `run`
/// and `up` start children here. The child gets an empty signal mask and
/// default dispositions.
public enum ChildSpawn {
    public static func spawn(_ r: SpawnRequest) -> Result<pid_t, SpawnFailure> {
        guard let path = executable(r.argv[0], environment: r.environment) else {
            return .failure(SpawnFailure(step: .notFound, errno: .noSuchFileOrDirectory))
        }
        guard let rules = r.rebind else { return spawn(r, path: path, rebindSocket: -1) }
        // The child sends its seccomp listener over this pair before exec.
        var pair: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            return .failure(SpawnFailure(step: .seccomp, errno: Errno(rawValue: errno)))
        }
        defer { close(pair[0]) }
        let result = spawn(r, path: path, rebindSocket: pair[1])
        close(pair[1])
        guard case .success = result else { return result }
        let listener = pd_recv_fd(pair[0])  // sent before exec, so it is there
        if listener >= 0 { RebindSupervisor.start(listener: listener, rules: rules) }
        return result
    }

    static func spawn(_ r: SpawnRequest, path: String, rebindSocket: Int32) -> Result<pid_t, SpawnFailure> {
        var args: [UnsafeMutablePointer<CChar>?] = r.argv.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = r.environment.map { strdup($0) } + [nil]
        defer { args.forEach { free($0) }; envp.forEach { free($0) } }
        var stage: Int32 = 0, err: Int32 = 0
        let pid: pid_t = args.withUnsafeMutableBufferPointer { argv in
            envp.withUnsafeMutableBufferPointer { envv in
                path.withCString { cpath in
                    withOptionalCString(r.directory) { cdir in
                        var req = pd_spawn_request(path: cpath, argv: argv.baseAddress, envp: envv.baseAddress, directory: cdir,
                                                   cgroup_procs_fd: r.cgroupProcs ?? -1, new_process_group: r.newProcessGroup ? 1 : 0,
                                                   null_input: r.nullInput ? 1 : 0, input_fd: r.input ?? -1, output_fd: r.output ?? -1,
                                                   death_signal: r.deathSignal, rebind_socket: rebindSocket)
                        return pd_spawn(&req, &stage, &err)
                    }
                }
            }
        }
        if pid > 0 { return .success(pid) }
        return .failure(SpawnFailure(step: SpawnFailure.Step(rawValue: stage) ?? .fork, errno: Errno(rawValue: err)))
    }

    /// `name` as execvp(3) would find it: as given when it has a slash,
    /// else the first executable file of that name on the child's PATH.
    public static func executable(_ name: String, environment: [String]) -> String? {
        if name.contains("/") { return name }
        let path = environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + name
            if access(candidate, X_OK) == 0, !isDirectory(candidate) { return candidate }
        }
        return nil
    }

    static func isDirectory(_ path: String) -> Bool {
        (try? Stat(FilePath(path)))?.type == .directory
    }

    static func withOptionalCString<T>(_ s: String?, _ body: (UnsafePointer<CChar>?) -> T) -> T {
        guard let s else { return body(nil) }
        return s.withCString { body($0) }
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
