import CLinux
import PortKit
import SystemPackage
#if canImport(Glibc)
import Glibc
#endif

/// `up`'s end of the control socket: accepts connections without ever
/// blocking the loop, takes one request line from a peer of our own uid
/// (SO_PEERCRED; root too), answers it and closes. A peer that says
/// nothing within 2 s, or more than 4 KiB, is dropped.
public final class ControlServer {
    let path: String
    let listener: Int32
    let services: [String]
    var clients: [(fd: Int32, bytes: [UInt8], since: Double)] = []

    /// Listens at `path`; a socket left there by an `up` that is gone is
    /// replaced; a live one is an error.
    public static func listen(at path: String, services: [String]) -> Result<ControlServer, ControlError> {
        let dir = String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
        if let why = ControlPath.prepare(dir) { return .failure(.refused("cannot make the control socket: \(why)")) }
        if case .success(let fd) = UnixSocket.connect(path) {
            Glibc.close(fd)
            return .failure(.refused("another portdash up already answers at \(path)"))
        }
        unlink(path)
        guard case .success(let fd) = UnixSocket.make() else { return .failure(.refused("cannot make a unix socket")) }
        let old = umask(0o177)  // the socket file is 0600
        let bound = UnixSocket.withAddress(path) { bind(fd, $0, $1) }
        umask(old)
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let e = Errno(rawValue: errno)
            Glibc.close(fd)
            return .failure(.refused("cannot listen at \(path): \(errnoText(e))"))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return .success(ControlServer(path: path, listener: fd, services: services))
    }

    init(path: String, listener: Int32, services: [String]) {
        self.path = path; self.listener = listener; self.services = services
    }

    var pollDescriptors: [pollfd] {
        [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)] + clients.map { pollfd(fd: $0.fd, events: Int16(POLLIN), revents: 0) }
    }

    /// Accepts, reads, and turns complete requests into events.
    func take() -> [SupervisorEvent] {
        acceptAll()
        var events: [SupervisorEvent] = []
        var kept: [(fd: Int32, bytes: [UInt8], since: Double)] = []
        for var c in clients {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = Glibc.read(c.fd, &buffer, buffer.count)
            if n > 0 { c.bytes += buffer[0..<n] }
            if let nl = c.bytes.firstIndex(of: 10) {
                let (event, reply) = answer(String(decoding: c.bytes[..<nl], as: UTF8.self))
                if let event { events.append(event) }
                _ = try? FileDescriptor(rawValue: c.fd).writeAll(Array((reply + "\n").utf8))
                Glibc.close(c.fd)
            } else if n == 0 || c.bytes.count > 4096 || monotonicSeconds() - c.since > 2 || (n < 0 && errno != EAGAIN) {
                Glibc.close(c.fd)
            } else {
                kept.append(c)
            }
        }
        clients = kept
        return events
    }

    func acceptAll() {
        while clients.count < 16 {
            let fd = Glibc.accept(listener, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            let uid = pd_peer_uid(fd)
            guard uid == Int(getuid()) || uid == 0 else { Glibc.close(fd); continue }
            clients.append((fd, [], monotonicSeconds()))
        }
    }

    /// "restart web api" / "stop web": the event and the reply line.
    func answer(_ line: String) -> (SupervisorEvent?, String) {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first, verb == "restart" || verb == "stop" else {
            return (nil, "error: unknown request; send restart NAME… or stop NAME…")
        }
        let names = Array(words.dropFirst())
        if names.isEmpty { return (nil, "error: name a service; this up runs \(services.joined(separator: ", "))") }
        if let bad = names.first(where: { !services.contains($0) }) {
            return (nil, "error: this up runs no service \"\(sanitized(bad))\"; it runs \(services.joined(separator: ", "))")
        }
        return (verb == "restart" ? .restart(names) : .stop(names), "ok: \(verb == "restart" ? "restarting" : "stopping") \(names.joined(separator: ", "))")
    }

    public func close() {
        for c in clients { Glibc.close(c.fd) }
        clients = []
        Glibc.close(listener)
        unlink(path)
    }
}
