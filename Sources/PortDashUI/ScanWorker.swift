import Dispatch
import PortKit
import Synchronization
import SystemPackage
import Glibc

/// Scans, kills and control requests off the main thread, so keys are
/// answered at once even when a scan is slow or an `up` does not answer.
/// Results go into a mailbox and a byte into a pipe, which the run loop
/// polls together with the keyboard.
final class ScanWorker: Sendable {
    enum Message {
        case scanned(Refresh, ScanScope, RouterAddress?)
        case scanFailed(String)
        case killProgress(String?)
        case log(String, Style, rescan: Bool)
    }

    private let refresher: Refresher<CachingOwnerResolver>
    private let queue = DispatchQueue(label: "portdash.scan")
    private let killQueue = DispatchQueue(label: "portdash.kill")
    private let controlQueue = DispatchQueue(label: "portdash.control")
    private let mailbox = Mutex<[Message]>([])
    /// The pipe's ends, open as long as the worker lives: closed in deinit,
    /// after the last queued scan or kill (each holds the worker) has posted.
    let wakeRead: FileDescriptor
    private let wakeWrite: FileDescriptor

    /// The state file whose router record says where URLs go.
    private let statePath: String

    init(refresher: Refresher<CachingOwnerResolver>, statePath: String) throws(PortKitError) {
        self.refresher = refresher
        self.statePath = statePath
        // Fails only when the process is out of descriptors, at start-up:
        // one line and exit 71, not a trap.
        switch Syscalls.pipe(flags: O_NONBLOCK) {
        case .success(let ends): (wakeRead, wakeWrite) = (ends.readEnd, ends.writeEnd)
        case .failure(let e): throw .system(call: "pipe2", errno: e)
        }
    }

    deinit {
        try? wakeRead.close()
        try? wakeWrite.close()
    }

    func post(_ m: Message) {
        mailbox.withLock { $0.append(m) }
        var b: UInt8 = 1
        _ = write(wakeWrite.rawValue, &b, 1)
    }

    func take() -> [Message] {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(wakeRead.rawValue, &sink, 64) > 0 {}
        return mailbox.withLock { box in
            defer { box.removeAll() }
            return box
        }
    }

    /// Refreshes `scope` in the background; the result arrives as a message.
    func scan(_ scope: ScanScope) {
        queue.async { [self] in
            switch Result(catching: { () throws(PortKitError) in try self.refresher.refresh(scope) }) {
            case .success(let refresh): post(.scanned(refresh, scope, RouterAddress.current(statePath: statePath)))
            case .failure(let e): post(.scanFailed(e.description))
            }
        }
    }

    /// Signals the targets in the background, all at once (one grace
    /// period for a master and its workers), posting a countdown.
    func kill(_ targets: [KillTarget], port: UInt16, signal: KillSignal, killer: ProcessKiller, timeout: Double) {
        killQueue.async { [self] in
            let who = targets.map { "\($0.pid) \($0.name)" }.joined(separator: ", ")
            let results = killer.terminateAll(targets, signal: signal.number, timeout: timeout) { left in
                self.post(.killProgress("\(signal.name) sent to \(who); SIGKILL in \(String(format1: left)) s if still running"))
            }
            post(.killProgress(nil))
            for (t, r) in zip(targets, results) {
                switch r {
                case .success(let outcome):
                    post(.log("\(port): \(t.pid) \(t.name) \(outcome)", .ok, rescan: true))
                case .failure(let e):
                    post(.log(e.description, .error, rescan: true))
                }
            }
        }
    }

    /// Asks a running `up` to restart a service (R) in the background: a
    /// stopped or wedged `up` keeps the request waiting for up to 10 s, the
    /// dashboard never. The answer arrives as a log line.
    func restart(_ service: String, root: String, restarter: @escaping Dashboard.Restarter) {
        controlQueue.async { [self] in
            let (text, ok) = restarter(root, service)
            post(.log(sanitized(text), ok ? .ok : .error, rescan: true))
        }
    }
}
