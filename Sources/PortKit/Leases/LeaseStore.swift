import SystemPackage
import Glibc

/// The state file on disk: validated reads, locked read-modify-writes,
/// crash-safe replacement.
///
/// - Readers take no lock: the file is only ever replaced by rename(2), so a
///   reader sees the old file or the new one, never half of one.
/// - Writers hold flock(2) on a separate `<file>.lock` that is never renamed,
///   then on the state file itself, each checked after flock to still be the
///   file at its path (LeaseStore+Locking.swift); they wait a bounded time,
///   then fail with a clear message.
/// - A write goes to a temporary file in the same directory, is fsynced,
///   renamed over the old file, and the directory is fsynced, before success
///   is reported: a kill -9 at any moment leaves the old or the new file.
/// - The file is read whole or not at all (`sizeLimit`), and one that fails
///   validation is never written over; `repair()` moves it aside (keeping it)
///   only when the user asks.
/// - Its directory must not let anyone else replace it (LeaseStore+Directory.swift).
public final class LeaseStore: Sendable {
    /// The largest file read. The biggest book this version writes (every
    /// port 1-65535 leased under a 64-character name, every field at its
    /// widest, 1,000 lastUsed names) is 15.6 MiB; a larger file is not
    /// one portdash wrote, and is refused rather than read in part.
    public static let sizeLimit = 16 << 20

    public let path: String
    public let lockTimeout: Double
    public var lockPath: String { path + ".lock" }
    var directory: String { parentDirectory(of: path) }
    var baseName: String { path.split(separator: "/").last.map(String.init) ?? "leases.json" }

    public init(path: String, lockTimeout: Double = 10) {
        self.path = path
        self.lockTimeout = lockTimeout
    }

    /// The current book; an absent file is an empty book.
    public func load() throws(PortKitError) -> LeaseBook {
        try checkDirectory()
        guard let bytes = try readChecked() else { return LeaseBook() }
        return try decode(bytes)
    }

    func decode(_ bytes: [UInt8]) throws(PortKitError) -> LeaseBook {
        do {
            return try LeaseBook.decode(bytes)
        } catch {
            if let version = error.newerVersion { throw .newerStateFile(path: path, version: version) }
            throw .badStateFile(path: path, problem: error.text + "; nothing was changed. Fix it, or move it aside with: portdash repair")
        }
    }

    /// Reads the file after checking it is a regular file of ours. nil: absent.
    func readChecked() throws(PortKitError) -> [UInt8]? {
        let st: Stat
        do { st = try Stat(FilePath(path), followTargetSymlink: false) } catch {
            if error == .noSuchFileOrDirectory { return nil }
            throw .badStateFile(path: path, problem: "cannot be read: \(errnoText(error))")
        }
        try checkOwnership(st)
        let fd: FileDescriptor
        switch Syscalls.open(FilePath(path), .readOnly, .noFollow) {
        case .success(let f): fd = f
        case .failure(let e): throw .badStateFile(path: path, problem: "cannot be opened: \(errnoText(e))")
        }
        defer { try? fd.close() }
        return try readWhole(fd)
    }

    /// All of the file, or an error naming its size: never a prefix.
    func readWhole(_ fd: FileDescriptor) throws(PortKitError) -> [UInt8] {
        do {
            return try Syscalls.readWhole(fd, limit: LeaseStore.sizeLimit)
        } catch {
            switch error {
            case .tooLarge(let size, let limit): throw .stateFileTooLarge(path: path, size: size ?? limit + 1, limit: limit)
            case .system(let e): throw .badStateFile(path: path, problem: "cannot be read: \(errnoText(e))")
            }
        }
    }

    func checkOwnership(_ st: Stat) throws(PortKitError) {
        if st.type == .symbolicLink {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(path, &buf, buf.count - 1)
            let target = n > 0 ? stringFromCBuffer(Array(buf[0..<n]) + [0]) : "?"
            throw .badStateFile(path: path, problem: "is a symbolic link (to \(target)); portdash will not follow it. Point --state at a real file")
        }
        if st.type == .directory { throw .badStateFile(path: path, problem: "is a directory; point --state at a file such as \(path)/leases.json") }
        if st.type != .regular { throw .badStateFile(path: path, problem: "is not a regular file; point --state at a file") }
        if st.userID.rawValue != geteuid() {
            throw .badStateFile(path: path, problem: "belongs to uid \(st.userID.rawValue), not to you (uid \(geteuid())); use your own file with --state")
        }
    }

    /// Locked read-modify-write. `body` sees the current book; if it changes
    /// it, the new book is written durably before this returns. `body` may
    /// throw an upper layer's error (E), which carries the store's own.
    public func update<T, E: CarriesPortKitError>(_ body: (inout LeaseBook) throws(E) -> T) throws(E) -> T {
        func step<U>(_ work: () throws(PortKitError) -> U) throws(E) -> U {
            do { return try work() } catch { throw E(core: error) }
        }
        try step { () throws(PortKitError) in try ensureDirectory() }
        let deadline = monotonicSeconds() + lockTimeout
        let lock = try step { () throws(PortKitError) in try acquireLock(until: deadline) }
        defer { try? lock.close() }  // closing a descriptor releases its flock
        let data = try step { () throws(PortKitError) in try lockStateFile(until: deadline) }
        defer { try? data.close() }
        // Read through the locked descriptor: the very file we hold the lock on.
        let bytes = try step { () throws(PortKitError) in try readWhole(data) }
        var book = try step { () throws(PortKitError) in try decode(bytes) }
        let before = book
        let result = try body(&book)
        if book != before {
            try step { () throws(PortKitError) in
                try book.validate(path: path)
                let encoded = book.encoded()
                if encoded.count > LeaseStore.sizeLimit {
                    throw .stateWouldBeTooLarge(path: path, size: Int64(encoded.count), limit: Int64(LeaseStore.sizeLimit))
                }
                if before.version < LeaseBook.currentVersion { try keepOldVersion(bytes, version: before.version) }
                try write(encoded)
            }
        }
        return result
    }

    /// Moves a bad file aside (kept as `<file>.bad-<time>`) and starts a
    /// fresh, empty book. Only on the user's explicit request.
    public func repair(now: Int64 = epochSeconds()) throws(PortKitError) -> String? {
        try ensureDirectory()
        let deadline = monotonicSeconds() + lockTimeout
        let lock = try acquireLock(until: deadline)
        defer { try? lock.close() }
        // Only a file whose *contents* are bad is moved aside; a symlink, a
        // directory, another user's file, a file over the size limit or a
        // read error is reported as is.
        guard let data = try lockExistingStateFile(until: deadline) else { return nil }
        defer { try? data.close() }
        let bytes = try readWhole(data)
        do {
            _ = try LeaseBook.decode(bytes)
            return nil  // nothing to repair
        } catch {
            // A newer portdash's file is valid: moving it aside would lose its leases.
            if let version = error.newerVersion { throw .newerStateFile(path: path, version: version) }
        }
        var backup = path + ".bad-" + String(now)
        var n = 1
        while access(backup, F_OK) == 0 { backup = path + ".bad-" + String(now) + "-" + String(n); n += 1 }
        if rename(path, backup) != 0 {
            throw .badStateFile(path: path, problem: "cannot move it aside to \(backup): \(errnoText(Errno(rawValue: errno)))")
        }
        try createEmpty()
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
