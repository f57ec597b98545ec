import PortKit
import Glibc
import CLinux

/// A real child process started with posix_spawn. Descriptors listed in
/// `inherit` (child fd ← parent fd) are dup2'ed into it, so a test can hand
/// a listening socket to a child without leaking any other descriptor.
/// `directory` is its working directory; `outputFile` takes its stdout and
/// stderr (appended, so a test can read it while the child runs);
/// `newProcessGroup` makes it a process group leader, as a shell makes a
/// foreground job (a Ctrl-C is then `kill(-pid, SIGINT)`).
public final class ChildProcess {
    public let pid: pid_t
    private var outFD: Int32 = -1
    private var errFD: Int32 = -1
    private var reaped = false
    private var exitStatus: Int32 = 0

    public init(_ argv: [String], environment: [String: String] = [:], inherit: [Int32: Int32] = [:],
                captureOutput: Bool = false, stdin: String? = nil, directory: String? = nil,
                outputFile: String? = nil, newProcessGroup: Bool = false) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], inPipe: [Int32] = [-1, -1]
        if captureOutput {
            cloexecPipe(&outPipe); cloexecPipe(&errPipe)
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        } else if let outputFile {
            posix_spawn_file_actions_addopen(&actions, 1, outputFile, O_WRONLY | O_CREAT | O_APPEND, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            // Never let a child hold the test runner's stdout: `swift test`
            // waits for EOF on it, so a stray child would stall the whole run.
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        if stdin != nil {
            cloexecPipe(&inPipe)
            posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        for (childFD, parentFD) in inherit { posix_spawn_file_actions_adddup2(&actions, parentFD, childFD) }
        if let directory { pd_spawn_addchdir(&actions, directory) }

        var env: [String: String] = [:]
        var e = environ
        while let p = e.pointee {
            let kv = String(cString: p)
            if let eq = kv.firstIndex(of: "=") { env[String(kv[..<eq])] = String(kv[kv.index(after: eq)...]) }
            e += 1
        }
        for (k, v) in environment { env[k] = v }
        var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) }
        cargs.append(nil)
        var cenv: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") }
        cenv.append(nil)
        defer { cargs.forEach { free($0) }; cenv.forEach { free($0) } }
        // A clean signal state: blocked and ignored signals survive exec, and
        // the test runner's threads may block some.
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var empty = sigset_t(), all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        sigdelset(&all, SIGKILL); sigdelset(&all, SIGSTOP)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | (newProcessGroup ? POSIX_SPAWN_SETPGROUP : 0)))
        if newProcessGroup { posix_spawnattr_setpgroup(&attr, 0) }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attr, cargs, cenv)
        precondition(rc == 0, "posix_spawnp \(argv[0]) failed: \(rc)")
        self.pid = pid
        if captureOutput {
            close(outPipe[1]); close(errPipe[1])
            outFD = outPipe[0]; errFD = errPipe[0]
        }
        if let stdin {
            close(inPipe[0])
            var s = stdin
            s.withUTF8 { _ = write(inPipe[1], $0.baseAddress, $0.count) }
            close(inPipe[1])
        }
    }

    /// Waits for the child and returns its status (exit code, or 128+signal) and output.
    public func waitForExit() -> (status: Int32, stdout: String, stderr: String) {
        var out: [UInt8] = [], err: [UInt8] = []
        if outFD >= 0 {
            // Read both pipes until EOF with poll, so a chatty child cannot block.
            var fds = [pollfd(fd: outFD, events: Int16(POLLIN), revents: 0), pollfd(fd: errFD, events: Int16(POLLIN), revents: 0)]
            var open = 2
            var buf = [UInt8](repeating: 0, count: 65536)
            while open > 0 {
                _ = poll(&fds, 2, -1)
                for i in 0..<2 where fds[i].fd >= 0 && fds[i].revents != 0 {
                    let n = read(fds[i].fd, &buf, buf.count)
                    if n > 0 { if i == 0 { out += buf[0..<n] } else { err += buf[0..<n] } }
                    else { close(fds[i].fd); fds[i].fd = -1; open -= 1 }
                }
            }
            outFD = -1; errFD = -1
        }
        let status = wait()
        return (status, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    /// Reaps the child; exit code, or 128 + the signal that killed it.
    @discardableResult
    public func wait() -> Int32 {
        if reaped { return exitStatus }
        var status: Int32 = 0
        _ = Syscalls.retryingInterrupts { waitpid(pid, &status, 0) }
        reaped = true
        let sig = status & 0x7f
        exitStatus = sig == 0 ? (status >> 8) & 0xff : 128 + sig
        return exitStatus
    }

    /// True once the child has exited (reaping it).
    public var hasExited: Bool {
        if reaped { return true }
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid {
            reaped = true
            let sig = status & 0x7f
            exitStatus = sig == 0 ? (status >> 8) & 0xff : 128 + sig
            return true
        }
        return false
    }

    public func signal(_ sig: Int32) { if !reaped { kill(pid, sig) } }

    deinit {
        if !reaped { kill(pid, SIGKILL); wait() }
        if outFD >= 0 { close(outFD) }
        if errFD >= 0 { close(errFD) }
    }
}

/// Polls `condition` every 20 ms for up to `seconds`; true if it held. The
/// default is for a machine twenty times oversubscribed (the suite must pass
/// there): it costs nothing when the condition holds, which is the only
/// time it should.
public func waitUntil(seconds: Double = 120, _ condition: () -> Bool) -> Bool {
    let deadline = monotonicSeconds() + seconds
    while monotonicSeconds() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// pipe(2) with both ends close-on-exec (pipe2 needs _GNU_SOURCE in Swift's Glibc).
func cloexecPipe(_ fds: inout [Int32]) {
    _ = pipe(&fds)
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
}

extension ChildProcess {
    /// A `sleep` child that is the only holder of a fresh listener on `port`:
    /// the socket is made here, handed to the child as fd 3, and closed here.
    /// It lives far longer than any test (killed at deinit), so a slow
    /// machine never sees it end on its own mid-test.
    public static func listening(on port: UInt16, address: String = "127.0.0.1", seconds: Int = 600) throws -> ChildProcess {
        let l = try Listener(port: port, address: address)
        let child = ChildProcess(["sleep", String(seconds)], inherit: [3: l.fd])
        l.close()
        return child
    }
}
