import SystemPackage
import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One running service of `up`: its shell, in a process group of its own,
/// with stdout and stderr on one pipe that we read.
public final class ServiceProcess {
    public let spec: ServiceSpec
    public let pid: pid_t
    /// Its process group (= pid): what a stop signals.
    public var pgid: pid_t { pid }
    /// Our end of its output pipe; -1 once it ended.
    public internal(set) var output: Int32
    public let started: Double
    public internal(set) var ready = false
    /// Set once its shell was reaped.
    public internal(set) var exit: ExitStatus?

    init(spec: ServiceSpec, pid: pid_t, output: Int32) {
        self.spec = spec; self.pid = pid; self.output = output
        started = monotonicSeconds()
    }

    /// `/bin/sh -c COMMAND` in `directory`, with `environment`.
    static func start(_ spec: ServiceSpec, command: String, environment: [String], directory: String) -> Result<ServiceProcess, Errno> {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return .failure(Errno(rawValue: errno)) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        var request = SpawnRequest(argv: ["/bin/sh", "-c", command], environment: environment, directory: directory)
        request.newProcessGroup = true
        request.output = fds[1]
        request.nullInput = true
        let result = ChildSpawn.spawn(request)
        close(fds[1])
        switch result {
        case .success(let pid): return .success(ServiceProcess(spec: spec, pid: pid, output: fds[0]))
        case .failure(let e): close(fds[0]); return .failure(e)
        }
    }

    /// Is anything of its process group still alive (its shell unreaped included)?
    public var groupAlive: Bool { killpg(pgid, 0) == 0 || errno == EPERM }

    func signalGroup(_ sig: Int32) { _ = killpg(pgid, sig) }

    /// Reads what is there; false at end of output.
    func read(into prefixer: OutputPrefixer) -> Bool {
        guard output >= 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = Glibc.read(output, &buffer, buffer.count)
            if n > 0 { prefixer.take(buffer[0..<n], from: spec.name); continue }
            if n < 0 && errno == EINTR { continue }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { return true }
            closeOutput(prefixer)
            return false
        }
    }

    func closeOutput(_ prefixer: OutputPrefixer) {
        guard output >= 0 else { return }
        close(output)
        output = -1
        prefixer.flush(spec.name)
    }
}
