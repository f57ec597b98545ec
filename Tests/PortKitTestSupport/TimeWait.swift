import PortKit
import Glibc

/// Server-side TIME_WAITs made the way a quick restart makes them: a real
/// server answers a real request and closes first (the active close leaves
/// the TIME_WAIT on the server's port), then exits.
public enum TimeWait {
    /// A python3 server on 127.0.0.1:PORT that answers one request, closes
    /// the connection first and exits. argv: PORT reuse|plain.
    static let oneShotServer = """
        import socket, sys
        s = socket.socket()
        if sys.argv[2] == "reuse":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(sys.argv[1])))
        s.listen()
        c, _ = s.accept()
        c.recv(65536)
        c.sendall(b"HTTP/1.0 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\nok")
        c.close()
        """

    /// Sockets in TIME_WAIT whose local port is `port` (what the kernel's table says now).
    public static func count(on port: UInt16) -> Int {
        let table = (try? SockDiagSource().sockets(in: PortRange(uncheckedFirst: port, last: port))) ?? []
        return table.filter { $0.state == .timeWait && $0.local.port == port }.count
    }

    /// Waits (generously) until the port has a TIME_WAIT and nothing else of ours.
    public static func appears(on port: UInt16, seconds: Double = 120) -> Bool {
        waitUntil(seconds: seconds) {
            let table = (try? SockDiagSource().sockets(in: PortRange(uncheckedFirst: port, last: port))) ?? []
            return table.contains { $0.state == .timeWait } && table.allSatisfy { $0.state == .timeWait }
        }
    }

    /// Runs the one-shot server on `port` (with SO_REUSEADDR or without),
    /// asks it once, waits for it to exit and for the TIME_WAIT it leaves.
    /// False if any step did not happen (the caller's test then proves nothing).
    public static func leave(on port: UInt16, reuseAddress: Bool) -> Bool {
        let server = ChildProcess(["python3", "-c", oneShotServer, String(port), reuseAddress ? "reuse" : "plain"])
        let listening = waitUntil {
            ((try? SockDiagSource(states: SockDiagSource.listenOnly).sockets(in: PortRange(uncheckedFirst: port, last: port))) ?? []).contains {
                $0.state == .listen
            }
        }
        guard listening, HTTPTestClient.get(port: port, "/", seconds: 120)?.body == "ok" else {
            server.signal(SIGKILL)
            return false
        }
        guard server.wait() == 0 else { return false }
        return appears(on: port)
    }
}
