import PortKit
import SystemPackage
import Glibc

/// An outside program `trust` runs (certutil, update-ca-certificates, curl,
/// node…): found on PATH (plus the sbin directories, where the system
/// store's tools live), its stdout and stderr read together, a time limit.
struct Tool: Sendable {
    let path: String
    var name: String { path.split(separator: "/").last.map(String.init) ?? path }

    /// Where `name` is, on PATH or in /usr/sbin and /sbin; nil when it is not installed.
    static func find(_ name: String, environment: [String] = childEnvironment(setting: [])) -> Tool? {
        let path = environment.last { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? "/usr/local/bin:/usr/bin:/bin"
        let search = environment.filter { !$0.hasPrefix("PATH=") } + ["PATH=" + path + ":/usr/local/sbin:/usr/sbin:/sbin"]
        return ChildSpawn.executable(name, environment: search).map(Tool.init(path:))
    }

    struct Result: Sendable {
        /// The exit status; nil when it could not start or ran past the time limit.
        let status: ExitStatus?
        let output: String
        var succeeded: Bool { status == .exited(0) }
        /// The output's last line that says something, for a one-line report
        /// (a Python traceback ends with its exception).
        var lastLine: String { line(lines.last) }
        /// Its first such line (curl's error comes first, then advice).
        var firstLine: String { line(lines.first) }

        var lines: [Substring] {
            output.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
        }

        func line(_ l: Substring?) -> String {
            sanitized(l.map { String($0.prefix(300)) } ?? (status.map { "it \($0.ending)" } ?? "it did not finish"))
        }
    }

    /// Runs it with `arguments`, stdin from /dev/null, `setting` added to our
    /// environment; waits at most `seconds`, then kills it (by its pid: our
    /// own child, not yet reaped, so the pid is still its).
    func run(_ arguments: [String], setting: [(String, String)] = [], seconds: Double = 60) -> Result {
        guard case .success(let pipe) = Syscalls.pipe() else { return Result(status: nil, output: "cannot make a pipe") }
        var request = SpawnRequest(argv: [path] + arguments, environment: childEnvironment(setting: setting))
        request.nullInput = true
        request.output = pipe.writeEnd.rawValue
        request.newProcessGroup = true
        let spawned = ChildSpawn.spawn(request)
        try? pipe.writeEnd.close()
        defer { try? pipe.readEnd.close() }
        guard case .success(let pid) = spawned else {
            if case .failure(let f) = spawned { return Result(status: nil, output: f.description(command: name, directory: nil)) }
            return Result(status: nil, output: "")
        }
        let (output, finished) = Tool.readAll(pipe.readEnd, until: monotonicSeconds() + seconds)
        // Its whole group (it has one of its own): not yet reaped, so the group is still its.
        if !finished { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let text = String(decoding: output, as: UTF8.self)
        return Result(status: finished ? ExitStatus(waitStatus: status) : nil, output: finished ? text : text + "\n(no answer in \(Int(seconds)) s)")
    }

    /// Everything written to `fd` until its last writer closes it (true) or the deadline (false); at most 256 KiB kept.
    static func readAll(_ fd: FileDescriptor, until deadline: Double) -> ([UInt8], Bool) {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let left = deadline - monotonicSeconds()
            guard left > 0 else { return (out, false) }
            guard case .success(let ready) = Syscalls.waitReadable([fd], milliseconds: Int32(min(left, 3600) * 1000)) else { return (out, true) }
            if ready == 0 { continue }
            let n = chunk.withUnsafeMutableBytes { (try? fd.read(into: $0)) ?? 0 }
            if n <= 0 { return (out, true) }
            if out.count < 256 << 10 { out += chunk[0..<n] }
        }
    }
}
