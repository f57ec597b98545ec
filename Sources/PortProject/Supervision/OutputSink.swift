import Dispatch
import Synchronization
import SystemPackage

/// Our stdout or stderr, written by a thread of its own, so that a reader
/// who stops reading (`portdash up | less` left at a page, `| sleep 30`)
/// never blocks the loop that hears signals. At most `limit` bytes wait;
/// past that whole lines are dropped and counted, and one notice names
/// the count once writing goes through again.
final class OutputSink: Sendable {
    static let limit = 1 << 20

    let fd: FileDescriptor
    private let queue: DispatchQueue
    private let state = Mutex<(pending: Int, dropped: Int)>((0, 0))

    init(_ fd: FileDescriptor, label: String) {
        self.fd = fd
        queue = DispatchQueue(label: "portdash.output.\(label)")
    }

    /// Queues `bytes` (whole lines), or drops them when too much waits.
    func write(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let dropped: Int? = state.withLock { s in
            if s.pending + bytes.count > OutputSink.limit {
                s.dropped += max(1, bytes.lazy.filter { $0 == 10 }.count)
                return nil
            }
            s.pending += bytes.count
            defer { s.dropped = 0 }
            return s.dropped
        }
        guard let dropped else { return }
        let notice = dropped > 0 ? Array("portdash: \(dropped) lines of output were dropped: nobody read them in time\n".utf8) : []
        queue.async { [self] in
            _ = try? fd.writeAll(notice + bytes)  // a closed reader: the line is gone, supervision goes on
            state.withLock { $0.pending -= bytes.count }
        }
    }

    /// Waits up to `seconds` for what is queued (and a last notice of
    /// dropped lines) to be written; never writes from the calling thread,
    /// so a reader that stopped reading cannot keep `up` from exiting.
    func drain(seconds: Double) {
        let done = DispatchSemaphore(value: 0)
        let left = state.withLock { s in defer { s.dropped = 0 }; return s.dropped }
        let notice = left > 0 ? Array("portdash: \(left) lines of output were dropped: nobody read them in time\n".utf8) : []
        queue.async { [self] in
            if !notice.isEmpty { _ = try? fd.writeAll(notice) }
            done.signal()
        }
        _ = done.wait(timeout: .now() + seconds)
    }
}
