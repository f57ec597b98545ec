import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// One process held by a pidfd (pidfd_open(2), Linux 5.3): the descriptor
/// names that process for as long as we keep it, so a signal through it
/// can never reach another process that later got the same pid. Pinned
/// only after the pidfd exists is the process checked to be the one meant
/// (its start time, /proc/PID/stat field 22), which closes the window
/// between seeing a pid and opening it.
public final class PinnedProcess {
    public let stamp: ProcessStamp
    let fd: FileDescriptor

    /// nil: gone, not the process seen (`startTime` differs), or no pidfds.
    public init?(_ pid: Int32, startTime: UInt64? = nil, reader: ProcessReader = ProcessReader()) {
        guard case .success(let fd) = Syscalls.openPidfd(pid) else { return nil }
        guard let st = reader.stat(pid), st.state != "Z", startTime == nil || st.startTime == startTime else {
            try? fd.close()
            return nil
        }
        self.fd = fd
        stamp = ProcessStamp(pid: pid, startTime: st.startTime)
    }

    deinit { try? fd.close() }

    public var pid: Int32 { stamp.pid }

    /// Sends `sig` to exactly this process; false once it has exited.
    @discardableResult
    public func signal(_ sig: Int32) -> Bool {
        if case .success = Syscalls.sendSignal(sig, through: fd) { return true }
        return false
    }

    /// Sends `sig` to the process group this process is in now (the kernel
    /// resolves it at the moment of the signal, so a group whose leader's
    /// pid was reused is never reached); false on kernels before 6.9.
    @discardableResult
    public func signalGroup(_ sig: Int32) -> Bool {
        if case .success = Syscalls.sendSignalToGroup(sig, through: fd) { return true }
        return false
    }

    /// Has it exited? (A pidfd is readable once its process has.)
    public var hasExited: Bool {
        if case .success(let n) = Syscalls.waitReadable([fd], milliseconds: 0) { return n > 0 }
        return true
    }
}
