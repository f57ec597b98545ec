import CLinux
import SystemPackage
import Glibc

/// The system calls swift-system does not wrap, each wrapped here once:
/// openat and readlinkat relative to a directory descriptor, getdents64,
/// sockets (netlink included), pidfds, flock, poll and fsync. What
/// swift-system does wrap (open, read, write, close) is used as it is.
///
/// Every failure comes back as an `Errno`, and EINTR is retried in one
/// place, `retryingInterrupts` (the package's other targets use it too);
/// callers decide what is a race (ENOENT, ESRCH: a process vanished) and
/// what is a real error.
package enum Syscalls {
    /// Calls `call` again while it fails with EINTR (a signal arrived
    /// before it could finish); any other failure (-1) is its errno.
    @inline(__always)
    package static func retryingInterrupts<T: FixedWidthInteger>(_ call: () -> T) -> Result<T, Errno> {
        while true {
            let result = call()
            if result != -1 { return .success(result) }
            let error = Errno(rawValue: errno)
            if error != .interrupted { return .failure(error) }
        }
    }

    /// swift-system's calls throw untyped errors, always an `Errno` (and
    /// retry EINTR themselves): this gives them the shape of the calls here.
    static func catching<T>(_ body: () throws -> T) -> Result<T, Errno> {
        do { return .success(try body()) } catch { return .failure(error as? Errno ?? .ioError) }
    }

    /// open(2) through swift-system, always close-on-exec.
    package static func open(_ path: FilePath, _ mode: FileDescriptor.AccessMode, _ options: FileDescriptor.OpenOptions = [],
                     permissions: FilePermissions? = nil) -> Result<FileDescriptor, Errno> {
        catching { try FileDescriptor.open(path, mode, options: options.union(.closeOnExec), permissions: permissions) }
    }

    /// openat(2) of a directory relative to `dir`: no walk from / for each one.
    @inline(__always)
    static func openDirectory(at dir: FileDescriptor, _ name: UnsafePointer<CChar>) -> Result<FileDescriptor, Errno> {
        retryingInterrupts { openat(dir.rawValue, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }.map(FileDescriptor.init(rawValue:))
    }

    /// openat(2) of a file in `dir` (`flags` beside O_CLOEXEC, which is always set).
    package static func open(at dir: FileDescriptor, _ name: String, flags: Int32, mode: mode_t = 0o600) -> Result<FileDescriptor, Errno> {
        retryingInterrupts { openat(dir.rawValue, name, flags | O_CLOEXEC, mode) }.map(FileDescriptor.init(rawValue:))
    }

    /// unlinkat(2) of a file in `dir`.
    package static func unlink(at dir: FileDescriptor, _ name: String) -> Result<Void, Errno> {
        retryingInterrupts { unlinkat(dir.rawValue, name, 0) }.map { _ in () }
    }

    /// readlinkat(2) relative to `dir` into `buffer` (`capacity` bytes): the
    /// link's length, cut at the buffer's size and not NUL-terminated.
    @inline(__always)
    static func readLink(at dir: FileDescriptor, _ name: UnsafePointer<CChar>,
                         into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Result<Int, Errno> {
        retryingInterrupts { readlinkat(dir.rawValue, name, buffer, capacity) }
    }

    /// getdents64(2) straight into `buffer` (`capacity` bytes), without
    /// opendir's allocation, fstat and fcntl per directory: bytes of
    /// linux_dirent64 records, 0 at the end.
    @inline(__always)
    static func directoryEntries(_ dir: FileDescriptor, into buffer: UnsafeMutableRawPointer, capacity: Int) -> Result<Int, Errno> {
        retryingInterrupts { pd_getdents64(dir.rawValue, buffer, UInt(capacity)) }
    }

    /// Reads a whole file, or refuses it (`readWhole`). /proc files report
    /// size 0, so this reads until EOF into a growing buffer.
    package static func readWholeFile(_ path: FilePath, limit: Int = 64 << 20) -> Result<[UInt8], WholeFileError> {
        switch open(path, .readOnly) {
        case .failure(let e): return .failure(.system(e))
        case .success(let fd):
            defer { try? fd.close() }
            return Result { () throws(WholeFileError) in try readWhole(fd, limit: limit) }
        }
    }

    /// All of what `fd` reads until EOF, or `.tooLarge` when that is more
    /// than `limit` bytes: never a prefix. A size fstat(2) reports over the
    /// limit is refused before a byte is read; otherwise one byte more than
    /// the limit is asked for, so a file that grew (or a /proc file, a
    /// socket, which report no size) is told from one at the limit.
    package static func readWhole(_ fd: FileDescriptor, limit: Int, expected: Int = 4096) throws(WholeFileError) -> [UInt8] {
        let size = (try? fd.stat()).map { Int($0.size) } ?? 0
        if size > limit { throw .tooLarge(size: Int64(size), limit: Int64(limit)) }
        let bytes: [UInt8]
        switch readUpTo(fd, count: limit + 1, expected: max(expected, size + 1)) {
        case .success(let b): bytes = b
        case .failure(let e): throw .system(e)
        }
        if bytes.count > limit { throw .tooLarge(size: nil, limit: Int64(limit)) }
        return bytes
    }

    /// Reads until EOF or `count` bytes, whichever comes first; only
    /// `readWhole` calls it, and asks for one byte more than it accepts.
    private static func readUpTo(_ fd: FileDescriptor, count: Int, expected: Int) -> Result<[UInt8], Errno> {
        var buffer = [UInt8](repeating: 0, count: max(1, min(count, expected)))
        var used = 0
        reading: while true {
            if used == buffer.count {
                if buffer.count >= count { break }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, count - buffer.count)))
            }
            let read = catching {
                try buffer.withUnsafeMutableBytes { try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[used...])) }
            }
            switch read {
            case .success(0): break reading
            case .success(let n): used += n
            case .failure(let e): return .failure(e)
            }
        }
        buffer.removeSubrange(used...)
        return .success(buffer)
    }

    /// socket(2), always close-on-exec.
    static func openSocket(_ domain: Int32, _ type: Int32, _ proto: Int32) -> Result<FileDescriptor, Errno> {
        retryingInterrupts { socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), proto) }.map(FileDescriptor.init(rawValue:))
    }

    /// setsockopt(2) of an int option to 1 (SO_REUSEADDR, IPV6_V6ONLY).
    static func enable(_ option: Int32, level: Int32, on socket: FileDescriptor) -> Result<Void, Errno> {
        var on: Int32 = 1
        return retryingInterrupts { setsockopt(socket.rawValue, level, option, &on, socklen_t(MemoryLayout<Int32>.size)) }.map { _ in }
    }

    /// sendto(2) of one netlink message to the kernel (port id 0).
    static func sendToKernel(_ socket: FileDescriptor, _ message: [UInt8]) -> Result<Int, Errno> {
        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        return message.withUnsafeBytes { raw in
            withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                    retryingInterrupts {
                        sendto(socket.rawValue, raw.baseAddress, raw.count, 0, address, socklen_t(MemoryLayout<sockaddr_nl>.size))
                    }
                }
            }
        }
    }

    /// recv(2) of one datagram into `buffer`: its length.
    static func receive(_ socket: FileDescriptor, into buffer: inout [UInt8]) -> Result<Int, Errno> {
        buffer.withUnsafeMutableBytes { raw in retryingInterrupts { recv(socket.rawValue, raw.baseAddress, raw.count, 0) } }
    }

    /// pidfd_open(2): a descriptor that names one process for its lifetime,
    /// so a later signal cannot reach another process that reused the pid.
    static func openPidfd(_ pid: pid_t) -> Result<FileDescriptor, Errno> {
        retryingInterrupts { pd_pidfd_open(pid) }.map(FileDescriptor.init(rawValue:))
    }

    /// pidfd_send_signal(2).
    static func sendSignal(_ sig: Int32, through pidfd: FileDescriptor) -> Result<Void, Errno> {
        retryingInterrupts { pd_pidfd_send_signal(pidfd.rawValue, sig) }.map { _ in () }
    }

    /// pidfd_send_signal(2) to the process group of the pidfd's process (Linux 6.9).
    static func sendSignalToGroup(_ sig: Int32, through pidfd: FileDescriptor) -> Result<Void, Errno> {
        retryingInterrupts { pd_pidfd_signal_group(pidfd.rawValue, sig) }.map { _ in () }
    }

    /// kill(2), for kernels without pidfds.
    static func sendSignal(_ sig: Int32, to pid: pid_t) -> Result<Void, Errno> {
        retryingInterrupts { kill(pid, sig) }.map { _ in () }
    }

    /// flock(2) LOCK_EX | LOCK_NB: `.wouldBlock` while another descriptor holds the lock.
    package static func tryLockExclusive(_ fd: FileDescriptor) -> Result<Void, Errno> {
        retryingInterrupts { flock(fd.rawValue, LOCK_EX | LOCK_NB) }.map { _ in () }
    }

    /// poll(2) until one of `fds` is readable or `milliseconds` pass: how many are.
    package static func waitReadable(_ fds: [FileDescriptor], milliseconds: Int32) -> Result<Int32, Errno> {
        var polled = fds.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        return poll(&polled, milliseconds: milliseconds)
    }

    /// poll(2) of `fds` as the caller built them (their revents filled in): how many are ready.
    package static func poll(_ fds: inout [pollfd], milliseconds: Int32) -> Result<Int32, Errno> {
        retryingInterrupts { Glibc.poll(&fds, nfds_t(fds.count), milliseconds) }
    }

    /// read(2) into `buffer`: how many bytes came (0: the end). Nothing
    /// there yet on a non-blocking descriptor is `.wouldBlock`.
    package static func read(_ fd: FileDescriptor, into buffer: inout [UInt8]) -> Result<Int, Errno> {
        buffer.withUnsafeMutableBytes { raw in retryingInterrupts { Glibc.read(fd.rawValue, raw.baseAddress, raw.count) } }
    }

    /// accept4(2): the connection close-on-exec and non-blocking from the
    /// start (no window in which a spawned child inherits it).
    package static func accept(_ listener: FileDescriptor) -> Result<FileDescriptor, Errno> {
        retryingInterrupts { pd_accept4(listener.rawValue, Int32(SOCK_CLOEXEC.rawValue | SOCK_NONBLOCK.rawValue)) }
            .map(FileDescriptor.init(rawValue:))
    }

    /// fcntl(2) F_SETFL adding O_NONBLOCK.
    package static func setNonBlocking(_ fd: FileDescriptor) -> Result<Void, Errno> {
        retryingInterrupts { fcntl(fd.rawValue, F_GETFL) }.flatMap { flags in
            retryingInterrupts { fcntl(fd.rawValue, F_SETFL, flags | O_NONBLOCK) }.map { _ in () }
        }
    }

    /// signalfd(2) for `signals` (blocked by the caller), close-on-exec and non-blocking.
    package static func signalDescriptor(_ signals: [Int32]) -> Result<FileDescriptor, Errno> {
        var mask = sigset_t()
        sigemptyset(&mask)
        for s in signals { sigaddset(&mask, s) }
        return retryingInterrupts { signalfd(-1, &mask, Int32(SFD_CLOEXEC | SFD_NONBLOCK)) }.map(FileDescriptor.init(rawValue:))
    }

    /// One signal waiting on a signalfd, or nil when none is.
    package static func takeSignal(_ sfd: FileDescriptor) -> Int32? {
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        guard case .success(let n) = retryingInterrupts({ Glibc.read(sfd.rawValue, &info, size) }), n == size else { return nil }
        return Int32(info.ssi_signo)
    }

    /// waitpid(2) of any child without waiting: one that ended and its
    /// wait status, or nil when none has (ECHILD: no children at all).
    package static func reapAnyChild() -> (pid: pid_t, status: Int32)? {
        var status: Int32 = 0
        guard case .success(let pid) = retryingInterrupts({ waitpid(-1, &status, WNOHANG) }), pid > 0 else { return nil }
        return (pid, status)
    }

    /// fsync(2): a file's bytes, or a directory's entries (a rename in it), on disk.
    static func sync(_ fd: FileDescriptor) -> Result<Void, Errno> {
        retryingInterrupts { fsync(fd.rawValue) }.map { _ in () }
    }

    /// fsync(2) of a directory after a rename in it, so the new entry is on
    /// disk; best effort (a directory we cannot open is left as it is).
    static func syncDirectory(_ path: String) {
        guard case .success(let dir) = open(FilePath(path), .readOnly, .directory) else { return }
        _ = try? dir.closeAfter { _ = sync(dir) }
    }

    /// rename(2).
    static func rename(_ from: String, to: String) -> Result<Void, Errno> {
        retryingInterrupts { Glibc.rename(from, to) }.map { _ in () }
    }

    /// realpath(3): the absolute path with every symlink followed.
    static func resolvedPath(_ path: String) -> Result<String, Errno> {
        guard let resolved = realpath(path, nil) else { return .failure(Errno(rawValue: errno)) }
        defer { free(resolved) }
        return .success(String(cString: resolved))
    }

    /// A pipe whose ends are close-on-exec from the start (pipe2(2)): no
    /// child spawned by another thread in between inherits them. `flags`
    /// may add O_NONBLOCK.
    package static func pipe(flags: Int32 = 0) -> Result<(readEnd: FileDescriptor, writeEnd: FileDescriptor), Errno> {
        var fds: [Int32] = [-1, -1]
        return retryingInterrupts { fds.withUnsafeMutableBufferPointer { pd_pipe2($0.baseAddress!, O_CLOEXEC | flags) } }
            .map { _ in (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1])) }
    }
}

/// A NUL-terminated C buffer as a String.
package func stringFromCBuffer(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
