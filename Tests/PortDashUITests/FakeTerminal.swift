import PortKit
@testable import PortDashUI
import Glibc

/// A terminal for the run loop's tests: keys come from a script, one per
/// frame, each only after the screen shows what the script waits for (as a
/// person types for the screen they see); every drawn frame is kept.
final class FakeTerminal: Terminal {
    enum Step { case waitFor(String), key(Key), burst([Key]), run(() -> Void) }

    var size: (width: Int, height: Int) = (120, 30)
    private(set) var frames: [String] = []
    private(set) var timedOut = false
    private var quitSent = false
    private var script: [Step]
    private var pending: [Key] = []
    private let deadline: Double
    private var fds: [Int32] = [0, 0]

    init(_ script: [Step], seconds: Double = 30) {
        self.script = script
        deadline = monotonicSeconds() + seconds
        pipe(&fds)
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    deinit { close(fds[0]); close(fds[1]) }

    var inputDescriptor: Int32 { fds[0] }
    var screen: String { frames.last ?? "" }

    func draw(_ grid: TextGrid, cursor: (row: Int, col: Int)?) {
        frames.append(grid.text)
        advance()
    }

    /// Moves past satisfied waits and queues the next key (or burst).
    private func advance() {
        guard pending.isEmpty else { return }
        while let step = script.first {
            switch step {
            case .waitFor(let text):
                guard screen.contains(text) else { return }
                script.removeFirst()
            case .key(let k):
                script.removeFirst()
                deliver([k])
                return
            case .burst(let keys):
                script.removeFirst()
                deliver(keys)
                return
            case .run(let action):
                // Something from outside, between two frames (a file damaged).
                script.removeFirst()
                action()
            }
        }
    }

    private func deliver(_ keys: [Key]) {
        pending = keys
        var b: UInt8 = 1
        _ = write(fds[1], &b, 1)
    }

    func readKey() -> Key? {
        var sink = [UInt8](repeating: 0, count: 16)
        _ = read(fds[0], &sink, 16)
        if monotonicSeconds() > deadline {
            // q, then nothing, by turns: the loop's read of a burst ends, and
            // a second q quits when the first only closed a box or the help.
            timedOut = true
            quitSent.toggle()
            return quitSent ? .char("q") : nil
        }
        if pending.isEmpty { advance() }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    func discardTypeAhead() { pending.removeAll() }
    func invalidate() {}
    func stop() {}
    func suspend() {}
    func resume() {}
}
