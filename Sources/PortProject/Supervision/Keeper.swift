import CLinux
import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Outlives a killed `up` (cgroup mode): a small process of its own session,
/// deaf to the terminal's signals, that holds the read end of a pipe only
/// `up` can write to. When the pipe ends — `up` exited, however it died,
/// SIGKILL included — it kills what is left of `up`'s group (nothing, after
/// a clean stop), waits for it to empty and removes it.
public enum Keeper {
    /// The hidden verb that runs it: `portdash _keeper MOUNT GROUP`.
    public static let verb = "_keeper"

    /// Starts a keeper for `group`; our end of its pipe (closed when we exit).
    public static func start(tree: CgroupTree, group: String) -> Result<FileDescriptor, SpawnFailure> {
        let pipe: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        switch Syscalls.pipe() {
        case .success(let p): pipe = p
        case .failure(let e): return .failure(SpawnFailure(step: .input, errno: e))
        }
        let exe = readLink(FilePath("/proc/self/exe")) ?? "/proc/self/exe"
        var request = SpawnRequest(argv: [exe, verb, tree.mount, group], environment: childEnvironment(setting: []))
        request.input = pipe.readEnd.rawValue
        let result = ChildSpawn.spawn(request)
        try? pipe.readEnd.close()
        switch result {
        case .success: return .success(pipe.writeEnd)
        case .failure(let e): try? pipe.writeEnd.close(); return .failure(e)
        }
    }

    /// The keeper's own life.
    public static func run(mount: String, group: String) -> Int32 {
        _ = setsid()
        for s in ChildSignals.cancelling + [SIGPIPE] { signal(s, SIG_IGN) }
        // Waits for the end of the pipe (up is gone) or an error on it.
        var byte: [UInt8] = [0]
        while case .success(let n) = Syscalls.read(.standardInput, into: &byte), n > 0 {}
        let tree = CgroupTree(mount: mount)
        let deadline = monotonicSeconds() + 10
        if tree.isPopulated(group) { _ = tree.kill(group) }
        while tree.isPopulated(group) && monotonicSeconds() < deadline { usleep(20_000) }
        tree.remove(group)
        return 0
    }

    static func readLink(_ path: FilePath) -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink(path.string, &buffer, buffer.count - 1)
        return n > 0 ? String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }
}
