import CLinux
import Dispatch
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// Answers the bind(2) and connect(2) calls a seccomp filter stopped in a
/// supervised service (rebind.h), on a thread of its own, until no process
/// under the filter is left (the listener then reports POLLHUP).
///
/// Each call: read the address from the caller's memory, ask the rules;
/// when nothing moves, let the kernel carry the call on as it was made.
/// Otherwise check the call still waits (so the thread id is still that
/// thread), take the caller's socket with pidfd_getfd, bind or connect it
/// to the new address ourselves, and return that result as the call's.
public enum RebindSupervisor {
    /// Longest address read: sizeof(struct sockaddr_storage).
    static let maxAddress = 128

    public static func start(listener: Int32, rules: RebindRules) {
        DispatchQueue(label: "portdash.rebind.\(listener)").async { serve(listener, rules) }
    }

    static func serve(_ listener: Int32, _ rules: RebindRules) {
        defer { close(listener) }
        while true {
            var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            let n = poll(&p, 1, -1)
            if n < 0 && errno == EINTR { continue }
            guard n > 0, p.revents & Int16(POLLIN) != 0 else { return }  // POLLHUP: every process under the filter has ended
            var call = pd_notification()
            guard pd_notif_recv(listener, &call) == 0 else {
                if errno == ENOENT || errno == EINTR { continue }  // the caller died or was interrupted first
                return
            }
            answer(call, listener: listener, rules: rules)
        }
    }

    static func answer(_ call: pd_notification, listener: Int32, rules: RebindRules) {
        let kind: RebindRules.Call? = Int(call.nr) == pd_nr_bind() ? .bind : Int(call.nr) == pd_nr_connect() ? .connect : nil
        guard let kind, let original = address(of: call), let moved = rules.rewritten(kind, original) else {
            _ = pd_notif_answer(listener, call.id, 0, 0, 1)
            return
        }
        let fd: Int32
        switch socket(of: call, listener: listener) {
        case .failure(let e): _ = pd_notif_answer(listener, call.id, 0, e.rawValue, 0); return
        case .success(let s): fd = s
        }
        // A blocking connect may wait for minutes (a full backlog): never on
        // this thread, which every other call of the service waits behind.
        if kind == .connect && fcntl(fd, F_GETFL) & O_NONBLOCK == 0 {
            blocking.async { finish(.connect, moved, fd: fd, call: call, listener: listener) }
        } else {
            finish(kind, moved, fd: fd, call: call, listener: listener)
        }
    }

    /// Where blocking connects wait, each on a thread of its own.
    static let blocking = DispatchQueue(label: "portdash.rebind.connect", attributes: .concurrent)

    /// Binds or connects our copy of the caller's socket, answers the call
    /// with the result, and closes the copy.
    static func finish(_ kind: RebindRules.Call, _ address: [UInt8], fd: Int32, call: pd_notification, listener: Int32) {
        let result = address.withUnsafeBytes { raw in
            let sa = raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), length = socklen_t(raw.count)
            return kind == .bind ? Glibc.bind(fd, sa, length) : Glibc.connect(fd, sa, length)
        }
        let error = result == 0 ? 0 : errno
        close(fd)
        _ = pd_notif_answer(listener, call.id, 0, error, 0)
    }

    /// The address argument (args 1 and 2 of both calls); nil when
    /// unreadable or longer than any address (the kernel then refuses the
    /// call itself, EINVAL, as it would without us).
    static func address(of call: pd_notification) -> [UInt8]? {
        let length = Int(UInt32(truncatingIfNeeded: call.args.2))  // socklen_t: the register's low 32 bits
        guard length >= 2, length <= maxAddress else { return nil }
        var bytes = [UInt8](repeating: 0, count: length)
        let got = bytes.withUnsafeMutableBytes { pd_read_memory(call.pid, call.args.1, $0.baseAddress, length) }
        return got == length ? bytes : nil
    }

    /// Our own descriptor for the caller's socket (pidfd_getfd), once the
    /// call is known to still wait; or the errno to fail the call with.
    static func socket(of call: pd_notification, listener: Int32) -> Result<Int32, Errno> {
        let pidfd = openProcess(ofThread: call.pid)
        guard pidfd >= 0 else { return .failure(.noSuchProcess) }
        defer { close(pidfd) }
        guard pd_notif_valid(listener, call.id) != 0 else { return .failure(.noSuchProcess) }  // gone; the answer is not delivered
        // An int argument: only the low 32 bits of the register are the caller's (seccomp_data args are raw registers).
        let fd = pd_pidfd_getfd(pidfd, Int32(truncatingIfNeeded: call.args.0))
        return fd >= 0 ? .success(fd) : .failure(errno == EBADF ? .badFileDescriptor : .notPermitted)
    }

    /// A pidfd for the process a thread belongs to: the notification names
    /// the thread, and pidfd_open takes a thread-group leader only.
    static func openProcess(ofThread tid: Int32) -> Int32 {
        let fd = pd_pidfd_open(tid)
        if fd >= 0 { return fd }  // the main thread (others: EINVAL, or ENOENT on newer kernels)
        guard let tgid = threadGroup(of: tid), tgid != tid else { return -1 }
        return pd_pidfd_open(tgid)
    }

    /// /proc/TID/status's "Tgid:" line (proc(5)).
    static func threadGroup(of tid: Int32) -> Int32? {
        guard case .success(let bytes) = ProcRoot.system.read("\(tid)/status") else { return nil }
        return ProcStatus.threadGroup(bytes)
    }
}
