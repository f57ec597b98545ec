import CLinux
import SystemPackage
import PortKit
#if canImport(Glibc)
import Glibc
#endif

/// One service of `up` while it runs: its group (every process it starts),
/// its main process (`/bin/sh -c COMMAND`, in a process group of its own so
/// the terminal's Ctrl-C reaches only `up`), and the pipe its stdout and
/// stderr share, which we read.
public final class ServiceProcess {
    public let spec: ServiceSpec
    public let group: ServiceGroup
    /// The current main process; 0 before the first start.
    public internal(set) var pid: pid_t = 0
    /// Every main process it had: an orphan whose process group or session
    /// is one of them came from this service (pidfd mode).
    var pastPids: Set<pid_t> = []
    /// Our end of its output pipe; -1 when there is none.
    public internal(set) var output: Int32 = -1
    public internal(set) var mainRunning = false
    /// The lease owner for its current main process.
    var owner: LeaseOwner?
    /// The last signal a stop sent its group (pidfd mode: sent to each
    /// process found after it, too).
    var lastSignal: Int32?
    /// Fresh scans in a row that found no process (pidfd mode).
    var emptyScans = 0

    /// The variable every process of a service inherits: in pidfd mode, an
    /// orphan our subreaper adopted is told apart by it.
    static let tokenName = "PORTDASH_SUPERVISED"

    /// A process's PORTDASH_SUPERVISED (/proc/PID/environ: NUL-separated
    /// NAME=value as it was at exec).
    static func token(of pid: Int32) -> String? {
        guard case .success(let bytes) = ProcRoot.system.read("\(pid)/environ") else { return nil }
        let prefix = Array((tokenName + "=").utf8)
        for entry in bytes.split(separator: 0) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }

    /// Bytes read per turn of the loop at most, so a service that prints
    /// as fast as it can never keeps the loop from hearing signals.
    static let slice = 64 * 1024

    init(spec: ServiceSpec, group: ServiceGroup) {
        self.spec = spec; self.group = group
    }

    /// Starts `/bin/sh -c COMMAND` in `directory`, in the group.
    func start(command: String, environment: [String], directory: String, rebind: RebindRules?) -> Result<pid_t, SpawnFailure> {
        // Close-on-exec from the start; only our end is non-blocking (the
        // service writes to a blocking pipe, as it would to a terminal).
        let pipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        switch Syscalls.pipe() {
        case .success(let p): pipe = p
        case .failure(let e): return .failure(SpawnFailure(step: .output, errno: e))
        }
        if case .failure(let e) = Syscalls.setNonBlocking(pipe.readEnd) {
            try? pipe.readEnd.close(); try? pipe.writeEnd.close()
            return .failure(SpawnFailure(step: .output, errno: e))
        }
        var request = SpawnRequest(argv: ["/bin/sh", "-c", command], environment: environment, directory: directory)
        request.newProcessGroup = true
        request.output = pipe.writeEnd.rawValue
        request.nullInput = true
        request.rebind = rebind
        let result = group.spawn(request)
        try? pipe.writeEnd.close()
        switch result {
        case .success(let p):
            closeOutput(nil)
            pid = p
            pastPids.insert(p)
            lastSignal = nil
            output = pipe.readEnd.rawValue
            mainRunning = true
        case .failure:
            try? pipe.readEnd.close()
        }
        return result
    }

    /// What one `read(into:)` found.
    enum ReadOutcome { case slice, drained, ended }

    /// Reads at most `slice` bytes of what is there: a whole slice (there
    /// may be more), all there was for now, or the end of output.
    @discardableResult
    func read(into prefixer: OutputPrefixer) -> ReadOutcome {
        guard output >= 0 else { return .ended }
        var buffer = [UInt8](repeating: 0, count: 16384)
        var total = 0
        while total < ServiceProcess.slice {
            switch Syscalls.read(FileDescriptor(rawValue: output), into: &buffer) {
            case .success(let n) where n > 0: prefixer.take(buffer[0..<n], from: spec.name); total += n
            case .failure(.wouldBlock): return .drained
            default: closeOutput(prefixer); return .ended  // the end, or an error: output is over either way
            }
        }
        return .slice
    }

    func closeOutput(_ prefixer: OutputPrefixer?) {
        guard output >= 0 else { return }
        try? FileDescriptor(rawValue: output).close()
        output = -1
        prefixer?.flush(spec.name)
    }
}
