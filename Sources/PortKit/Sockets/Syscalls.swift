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

    /// Reads a whole file. /proc files report size 0, so this reads until
    /// EOF into a growing buffer.
    package static func readFile(_ path: FilePath, limit: Int = 64 << 20) -> Result<[UInt8], Errno> {
        open(path, .readOnly).flatMap { fd in
            defer { try? fd.close() }
            return readAll(fd, limit: limit)
        }
    }

    /// Reads until EOF or `limit` bytes, whichever comes first: callers that
    /// must not act on a prefix ask for one byte more than they accept.
    package static func readAll(_ fd: FileDescriptor, limit: Int = 64 << 20, expected: Int = 4096) -> Result<[UInt8], Errno> {
        var buffer = [UInt8](repeating: 0, count: max(1, min(limit, expected)))
        var used = 0
        reading: while true {
            if used == buffer.count {
                if buffer.count >= limit { break }
                buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, limit - buffer.count)))
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

    /// kill(2), for kernels without pidfds.
    static func sendSignal(_ sig: Int32, to pid: pid_t) -> Result<Void, Errno> {
        retryingInterrupts { kill(pid, sig) }.map { _ in () }
    }

    /// flock(2) LOCK_EX | LOCK_NB: `.wouldBlock` while another descriptor holds the lock.
    static func tryLockExclusive(_ fd: FileDescriptor) -> Result<Void, Errno> {
        retryingInterrupts { flock(fd.rawValue, LOCK_EX | LOCK_NB) }.map { _ in () }
    }

    /// poll(2) until one of `fds` is readable or `milliseconds` pass: how many are.
    package static func waitReadable(_ fds: [FileDescriptor], milliseconds: Int32) -> Result<Int32, Errno> {
        var polled = fds.map { pollfd(fd: $0.rawValue, events: Int16(POLLIN), revents: 0) }
        return retryingInterrupts { poll(&polled, nfds_t(polled.count), milliseconds) }
    }

    /// fsync(2): a file's bytes, or a directory's entries (a rename in it), on disk.
    static func sync(_ fd: FileDescriptor) -> Result<Void, Errno> {
        retryingInterrupts { fsync(fd.rawValue) }.map { _ in () }
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
