/// The state file on disk: validated reads, locked read-modify-writes,
/// crash-safe replacement.
///
/// - Readers take no lock: the file is only ever replaced by rename(2), so a
///   reader sees the old file or the new one, never half of one.
/// - Writers hold flock(2) on a separate `<file>.lock` that is never renamed
///   (a lock on the data file itself would be lost at the first rename), wait
///   a bounded time for it, then fail with a clear message.
/// - A write goes to a temporary file in the same directory, is fsynced,
///   renamed over the old file, and the directory is fsynced, before success
///   is reported: a kill -9 at any moment leaves the old or the new file.
/// - The file is read whole or not at all (`sizeLimit`), and one that fails
///   validation is never written over; `repair()` moves it aside (keeping it)
///   only when the user asks.
public final class LeaseStore: @unchecked Sendable {
    /// The largest file read. The biggest book this version writes (every
    /// port 1-65535 leased under a 64-character name, every field at its
    /// widest, 1,000 lastUsed names) is 15.6 MiB; a larger file is not
    /// one portdash wrote, and is refused rather than read in part.
    public static let sizeLimit = 16 << 20

    public let path: String
    public let lockTimeout: Double
    public var lockPath: String { path + ".lock" }
    var directory: String { parentDirectory(of: path) }

    public init(path: String, lockTimeout: Double = 10) {
        self.path = path
        self.lockTimeout = lockTimeout
    }

    /// The current book; an absent file is an empty book.
    public func load() throws(PortKitError) -> LeaseBook {
        guard let bytes = try readChecked() else { return LeaseBook() }
        return try decode(bytes)
    }

    func decode(_ bytes: [UInt8]) throws(PortKitError) -> LeaseBook {
        do {
            return try LeaseBook.decode(bytes)
        } catch {
            throw .badStateFile(path: path, problem: error.text + "; nothing was changed. Fix it, or move it aside with: portdash repair")
        }
    }

    /// Reads the file after checking it is a regular file of ours. nil: absent.
    func readChecked() throws(PortKitError) -> [UInt8]? {
        var st = stat()
        if lstat(path, &st) != 0 {
            if errno == ENOENT { return nil }
            throw .badStateFile(path: path, problem: "cannot be read: \(errnoText(errno))")
        }
        try checkOwnership(st)
        let fd: Int32
        switch Sys.open(path, O_RDONLY | O_NOFOLLOW) {
        case .success(let f): fd = f
        case .failure(let e): throw .badStateFile(path: path, problem: "cannot be opened: \(e)")
        }
        defer { close(fd) }
        return try readWhole(fd)
    }

    /// All of the file, or an error naming its size: never a prefix.
    func readWhole(_ fd: Int32) throws(PortKitError) -> [UInt8] {
        var st = stat()
        let size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
        let limit = LeaseStore.sizeLimit
        if size > limit { throw .stateFileTooLarge(path: path, size: Int64(size), limit: Int64(limit)) }
        switch Sys.readAll(fd, limit: limit + 1, expected: size + 1) {
        case .success(let bytes) where bytes.count > limit:  // it grew while we read
            throw .stateFileTooLarge(path: path, size: Int64(max(size, bytes.count)), limit: Int64(limit))
        case .success(let bytes):
            return bytes
        case .failure(let e):
            throw .badStateFile(path: path, problem: "cannot be read: \(e)")
        }
    }

    func checkOwnership(_ st: stat) throws(PortKitError) {
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(path, &buf, buf.count - 1)
            let target = n > 0 ? stringFromCBuffer(Array(buf[0..<n]) + [0]) : "?"
            throw .badStateFile(path: path, problem: "is a symbolic link (to \(target)); portdash will not follow it. Point --state at a real file")
        }
        if type == S_IFDIR { throw .badStateFile(path: path, problem: "is a directory; point --state at a file such as \(path)/leases.json") }
        if type != S_IFREG { throw .badStateFile(path: path, problem: "is not a regular file; point --state at a file") }
        if st.st_uid != geteuid() {
            throw .badStateFile(path: path, problem: "belongs to uid \(st.st_uid), not to you (uid \(geteuid())); use your own file with --state")
        }
    }

    /// Locked read-modify-write. `body` sees the current book; if it changes
    /// it, the new book is written durably before this returns.
    public func update<T>(_ body: (inout LeaseBook) throws(PortKitError) -> T) throws(PortKitError) -> T {
        try ensureDirectory()
        let lock = try acquireLock()
        defer { close(lock) }  // closing the descriptor releases the flock
        var book = try load()
        let before = book
        let result = try body(&book)
        if book != before {
            try book.validate(path: path)
            try write(book.encoded())
        }
        return result
    }

    /// Creates the directory chain, the last part 0700 whatever the umask.
    func ensureDirectory() throws(PortKitError) {
        let dir = directory
        var st = stat()
        if stat(dir, &st) == 0 {
            if st.st_mode & S_IFMT != S_IFDIR { throw .badStateFile(path: path, problem: "\(dir) is not a directory") }
            return
        }
        var prefix = ""
        for part in dir.split(separator: "/", omittingEmptySubsequences: true) {
            prefix += "/" + part
            if dir.hasPrefix("/") == false && prefix.hasPrefix("/") { prefix.removeFirst() }
            if mkdir(prefix, 0o700) == 0 {
                chmod(prefix, 0o700)
            } else if errno != EEXIST {
                throw .stateNotWritable(path: path, directory: parentDirectory(of: prefix), errno: errno)
            }
        }
    }

    func parentDirectory(of dir: String) -> String {
        guard let slash = dir.lastIndex(of: "/") else { return "." }
        return slash == dir.startIndex ? "/" : String(dir[..<slash])
    }

    /// flock with a bounded wait: poll LOCK_NB with growing sleeps, so a stuck
    /// holder yields a clear error rather than a hang.
    func acquireLock() throws(PortKitError) -> Int32 {
        let fd: Int32
        switch Sys.open(lockPath, O_RDWR | O_CREAT | O_NOFOLLOW, 0o600) {
        case .success(let f): fd = f
        case .failure(let e) where e.rawValue == ELOOP:
            throw .badStateFile(path: lockPath, problem: "is a symbolic link; portdash will not follow it. Remove it: rm \(lockPath)")
        case .failure(let e):
            throw .stateNotWritable(path: path, directory: directory, errno: e.rawValue)
        }
        let deadline = monotonicSeconds() + lockTimeout
        var pause: UInt32 = 500  // µs
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let e = errno
                close(fd)
                throw .system(call: "flock \(lockPath)", errno: e)
            }
            if monotonicSeconds() >= deadline {
                close(fd)
                throw .lockTimeout(path: lockPath, seconds: lockTimeout)
            }
            // Jitter keeps 50 waiters from waking in lockstep.
            usleep(pause + UInt32.random(in: 0...pause))
            pause = min(pause * 2, 20_000)
        }
        return fd
    }

    /// temp file → fsync → rename → fsync(dir). A failure the system reports
    /// (full disk, read-only file system) is `.stateNotWritable`, never
    /// "damaged file": the file on disk is still the old, good one.
    func write(_ bytes: [UInt8]) throws(PortKitError) {
        let dir = directory
        let base = path.split(separator: "/").last.map(String.init) ?? "leases.json"
        let temp = dir + "/." + base + ".tmp." + String(getpid())
        removeStaleTemporaries(dir: dir, base: base)
        unlink(temp)
        let fd: Int32
        switch Sys.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600) {
        case .success(let f): fd = f
        case .failure(let e): throw .stateNotWritable(path: path, directory: dir, errno: e.rawValue)
        }
        fchmod(fd, 0o600)
        var failure: Int32 = 0
        if case .failure(let e) = Sys.writeAll(fd, bytes) { failure = e.rawValue }
        if failure == 0 && fsync(fd) != 0 { failure = errno }
        // close reports delayed write errors on some file systems (NFS).
        if close(fd) != 0 && failure == 0 && errno != EINTR { failure = errno }
        if failure == 0 && rename(temp, path) != 0 { failure = errno }
        if failure != 0 {
            unlink(temp)
            throw .stateNotWritable(path: path, directory: dir, errno: failure)
        }
        if case .success(let dfd) = Sys.open(dir, O_RDONLY | O_DIRECTORY) {
            fsync(dfd)
            close(dfd)
        }
    }

    /// Temporaries left by a writer killed mid-write. Only called under the
    /// lock, when no other writer can be using one.
    func removeStaleTemporaries(dir: String, base: String) {
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        let prefix = "." + base + ".tmp."
        while let e = readdir(d) {
            let name = withUnsafePointer(to: &e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name.hasPrefix(prefix) { unlink(dir + "/" + name) }
        }
    }

    /// Moves a bad file aside (kept as `<file>.bad-<time>`) and starts a
    /// fresh, empty book. Only on the user's explicit request.
    public func repair(now: Int64 = epochSeconds()) throws(PortKitError) -> String? {
        try ensureDirectory()
        let lock = try acquireLock()
        defer { close(lock) }
        // Only a file whose *contents* are bad is moved aside; a symlink, a
        // directory, another user's file, a file over the size limit or a
        // read error is reported as is.
        guard let bytes = try readChecked() else { return nil }
        if (try? LeaseBook.decode(bytes)) != nil { return nil }  // nothing to repair
        var backup = path + ".bad-" + String(now)
        var n = 1
        while access(backup, F_OK) == 0 { backup = path + ".bad-" + String(now) + "-" + String(n); n += 1 }
        if rename(path, backup) != 0 {
            throw .badStateFile(path: path, problem: "cannot move it aside to \(backup): \(errnoText(errno))")
        }
        try write(LeaseBook().encoded())
        return backup
    }
}

extension LeaseBook {
    /// Validation before a write: a bug must not be able to store a bad book.
    func validate(path: String) throws(PortKitError) {
        do { try validate() } catch {
            throw .badStateFile(path: path, problem: "refusing to write an invalid book: \(error.text)")
        }
    }
}
