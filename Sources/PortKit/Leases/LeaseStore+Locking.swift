import SystemPackage
import Glibc

/// Writer exclusion. Two locks, each checked after flock succeeds:
///
/// 1. `<file>.lock`, as every portdash version takes it. If the file was
///    unlinked or replaced while we waited (a user's rm, a cleaning tool),
///    the descriptor no longer names the file at the path: close, lock again.
/// 2. The state file itself. The check in 1 cannot help when the lock file
///    is removed while someone *holds* it: the next writer creates a new lock
///    file and locks that. But only a writer holding the lock on the state
///    file ever replaces it (rename in `write`), so a lock on the file that
///    is at `path` after flock is held by one writer at a time, whatever
///    happens to the lock file.
extension LeaseStore {
    /// The lock file, locked and checked. Throws `.lockTimeout` at `deadline`.
    func acquireLock(until deadline: Double) throws(PortKitError) -> FileDescriptor {
        while true {
            let fd: FileDescriptor
            switch Syscalls.open(FilePath(lockPath), .readWrite, [.create, .noFollow], permissions: .ownerReadWrite) {
            case .success(let f): fd = f
            case .failure(.tooManySymbolicLinkLevels):
                throw .badStateFile(path: lockPath, problem: "is a symbolic link; portdash will not follow it. Remove it: rm \(lockPath)")
            case .failure(let e):
                throw .stateNotWritable(path: path, directory: directory, errno: e)
            }
            if try lockStill(fd, at: lockPath, until: deadline) { return fd }
        }
    }

    /// The state file, locked and checked; created (empty) first if absent.
    func lockStateFile(until deadline: Double) throws(PortKitError) -> FileDescriptor {
        while true {
            if let fd = try lockExistingStateFile(until: deadline) { return fd }
            try createEmpty()
            try checkDeadline(deadline)
        }
    }

    /// The state file, locked and checked; nil if there is none.
    func lockExistingStateFile(until deadline: Double) throws(PortKitError) -> FileDescriptor? {
        while true {
            let st: Stat
            do { st = try Stat(FilePath(path), followTargetSymlink: false) } catch {
                if error == .noSuchFileOrDirectory { return nil }
                throw .badStateFile(path: path, problem: "cannot be read: \(errnoText(error))")
            }
            try checkOwnership(st)
            // Read-write although we only read through it: flock on NFS is a
            // byte-range lock, and an exclusive one needs a descriptor open for writing.
            switch Syscalls.open(FilePath(path), .readWrite, .noFollow) {
            case .success(let fd):
                if try lockStill(fd, at: path, until: deadline) { return fd }
            case .failure(.noSuchFileOrDirectory):
                try checkDeadline(deadline)  // moved aside between lstat and open: look again
            case .failure(.readOnlyFileSystem):
                throw .stateNotWritable(path: path, directory: directory, errno: .readOnlyFileSystem)
            case .failure(let e):
                throw .badStateFile(path: path, problem: "cannot be opened: \(errnoText(e))")
            }
        }
    }

    /// Waits for flock on `fd`, then: true if `fd` is still the file at
    /// `file` (the caller keeps it), false if not (the caller locks again).
    /// Takes `fd` over: closed here unless true is returned, thrown or not.
    func lockStill(_ fd: FileDescriptor, at file: String, until deadline: Double) throws(PortKitError) -> Bool {
        var kept = false
        defer { if !kept { try? fd.close() } }
        try waitForFlock(fd, file, until: deadline)
        kept = try isStill(fd, at: file)
        if !kept { try checkDeadline(deadline) }
        return kept
    }

    /// flock with a bounded wait: poll LOCK_NB with growing sleeps, so a stuck
    /// holder yields a clear error rather than a hang.
    func waitForFlock(_ fd: FileDescriptor, _ file: String, until deadline: Double) throws(PortKitError) {
        var pause: UInt32 = 500  // µs
        while case .failure(let e) = Syscalls.tryLockExclusive(fd) {
            guard e == .wouldBlock else { throw .system(call: "flock \(file)", errno: e) }
            try checkDeadline(deadline)
            // Jitter keeps 50 waiters from waking in lockstep.
            usleep(pause + UInt32.random(in: 0...pause))
            pause = min(pause * 2, 20_000)
        }
    }

    /// Same device and inode through the descriptor and through the path;
    /// and then it must be a regular file of ours, as the state file is.
    func isStill(_ fd: FileDescriptor, at file: String) throws(PortKitError) -> Bool {
        guard let held = try? fd.stat(), let there = try? Stat(FilePath(file), followTargetSymlink: false) else { return false }
        guard held.deviceID == there.deviceID && held.inode == there.inode else { return false }
        if held.type != .regular || held.userID.rawValue != geteuid() {
            throw .badStateFile(path: file, problem: "is not a regular file of yours (uid \(held.userID.rawValue)); remove it: rm \(file)")
        }
        return true
    }

    func checkDeadline(_ deadline: Double) throws(PortKitError) {
        if monotonicSeconds() >= deadline { throw .lockTimeout(path: lockPath, seconds: lockTimeout) }
    }
}
