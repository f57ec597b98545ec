import PortKit
import Dispatch
import Synchronization
import SystemPackage
import Glibc

/// A small tmpfs of our own, for a full disk and a read-only file system.
/// Mounting needs root (CI runs the suite as root); elsewhere `make` prints
/// why the test is skipped and returns nil.
public final class TmpfsMount {
    public let path: String
    private var mounted = true

    private init(path: String) { self.path = path }

    public static func make(at path: String, bytes: Int, for test: String) -> TmpfsMount? {
        mkdir(path, 0o700)
        if mount("tmpfs", path, "tmpfs", 0, "size=\(bytes),mode=0700") != 0 {
            print("skipped \(test): cannot mount a tmpfs at \(path): \(errnoText(Errno(rawValue: errno))) (needs root)")
            return nil
        }
        return TmpfsMount(path: path)
    }

    /// mount -o remount,ro. False (and a printed reason) if not permitted.
    public func remountReadOnly(for test: String) -> Bool {
        if mount("tmpfs", path, "tmpfs", UInt(MS_REMOUNT | MS_RDONLY), nil) == 0 { return true }
        print("skipped \(test): cannot remount \(path) read-only: \(errnoText(Errno(rawValue: errno)))")
        return false
    }

    /// Writes zeros into `file` until the file system is full.
    public func fill(_ file: String) {
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(fd >= 0, "open \(file) failed: \(errno)")
        defer { close(fd) }
        let chunk = [UInt8](repeating: 0, count: 4096)
        while chunk.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) > 0 {}
    }

    /// Lazy unmount: a descriptor still open somewhere must not keep it mounted.
    public func unmount() {
        guard mounted else { return }
        mounted = false
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    deinit { unmount() }
}

/// Unlinks one path in a tight loop on another thread until stopped: the
/// "user's rm" or cleaning tool racing portdash for its lock file.
public final class Unlinker: Sendable {
    private let stopFlag = Atomic<Bool>(false)
    private let removed = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    public init(path: String) {
        DispatchQueue.global().async { [self] in
            while !stopFlag.load(ordering: .relaxed) {
                if unlink(path) == 0 { removed.add(1, ordering: .relaxed) }
            }
            done.signal()
        }
    }

    /// Stops the loop; returns how many times the file was really removed.
    public func stop() -> Int {
        stopFlag.store(true, ordering: .relaxed)
        done.wait()
        return removed.load(ordering: .relaxed)
    }
}

extension TestSupport {
    /// Writes bytes to a file (creating it), for fixtures too big for a String literal.
    public static func writeBytes(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o600) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        precondition(fd >= 0, "open \(path) failed: \(errno)")
        defer { close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            precondition(n > 0, "write \(path) failed: \(errno)")
            off += n
        }
    }

    /// Device, inode, size and modification time: equal before and after
    /// means the file was neither replaced nor written.
    public static func fileIdentity(_ path: String) -> [Int]? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return [Int(st.st_dev), Int(st.st_ino), Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec)]
    }
}
