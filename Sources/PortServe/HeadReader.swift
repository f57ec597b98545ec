import FlyingSocks
import PortKit

/// Reads request heads from one connection, within ServeLimits: at most
/// `headBytes` before the blank line, all of it within `headSeconds`.
/// Bytes after a head (a pipelined request) stay for the next call.
struct HeadReader {
    let socket: AsyncSocket
    let limits: ServeLimits
    private var buffer: [UInt8] = []

    init(socket: AsyncSocket, limits: ServeLimits) {
        self.socket = socket
        self.limits = limits
    }

    /// The next head; nil when the client closed, or stayed idle, before sending a byte of it.
    mutating func next() async throws(HTTPFailure) -> RequestHead? {
        let deadline = monotonicSeconds() + limits.headSeconds
        while true {
            if let (end, skip) = HeadReader.terminator(in: buffer) {
                guard end <= limits.headBytes else { throw .headTooLarge }
                let head = try RequestHead.parse(buffer[..<end], maxHeaders: limits.headerLines)
                buffer.removeFirst(end + skip)
                return head
            }
            guard buffer.count < limits.headBytes + 4 else { throw .headTooLarge }
            let remaining = deadline - monotonicSeconds()
            let socket = self.socket
            do {
                guard remaining > 0 else { throw ServeTimeout() }
                buffer += try await withTimeout(remaining) { try await socket.read(atMost: 4096) }
            } catch is ServeTimeout {
                if buffer.isEmpty { return nil }
                throw .timedOut
            } catch {
                return nil  // closed, reset, or the server is stopping
            }
        }
    }

    /// Where the head ends: the offset of CRLF CRLF (or LF LF) and its length.
    static func terminator(in b: [UInt8]) -> (Int, Int)? {
        var i = 0
        while i + 1 < b.count {
            if b[i] == 10 {
                if b[i + 1] == 10 { return (i, 2) }
                if i >= 1, b[i - 1] == 13, i + 2 < b.count, b[i + 1] == 13, b[i + 2] == 10 { return (i - 1, 4) }
            }
            i += 1
        }
        return nil
    }
}
