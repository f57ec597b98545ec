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
    /// The socket's directory, held open (the socket is unlinked through it), and the lock held for our life.
    let directory: ControlDirectory
    let lock: FileDescriptor
    let name: String
    var clients: [(fd: Int32, bytes: [UInt8], since: Double)] = []

    /// Listens for the `up` of `root`. A socket file left by an `up` that is
    /// gone (SIGKILL leaves it) is replaced: its lock is free and nothing
    /// answers there. A live `up` of the checkout is an error.
    public static func listen(root: String, services: [String], in directoryPath: String = ControlPath.directory()) -> Result<ControlServer, ControlError> {
        let directory: ControlDirectory
        switch ControlDirectory.open(directoryPath, create: true) {
        case .success(let d): directory = d
        case .failure(let e): return .failure(e)
        }
        let name = ControlPath.name(for: root), path = ControlPath.socket(for: root, in: directoryPath)
        let lock: FileDescriptor
        switch takeLock(directory, name + ".lock") {
        case .success(let l): lock = l
        case .failure(let e): directory.close(); return .failure(e)
        }
        let socket = name + ".sock", address = directory.address(socket)
        // An up of an older portdash takes no lock: one that answers is alive.
        if case .success(let fd) = UnixSocket.connect(address) {
            try? FileDescriptor(rawValue: fd).close()
            try? lock.close(); directory.close()
            return .failure(.alreadyAnswered(path: path))
        }
        _ = Syscalls.unlink(at: directory.fd, socket)  // stale: its up is gone (the lock was free)
        let fd: Int32
        switch UnixSocket.listen(address) {
        case .success(let f): fd = f
        case .failure(let e):
            try? lock.close(); directory.close()
            return .failure(.refused("cannot listen at \(path): \(errnoText(e))"))
        }
        return .success(ControlServer(path: path, listener: fd, services: services, directory: directory, lock: lock, name: socket))
    }

    /// `<hash>.lock`, created if needed and locked without waiting: busy
    /// means a live `up` of this checkout holds it.
    static func takeLock(_ directory: ControlDirectory, _ name: String) -> Result<FileDescriptor, ControlError> {
        let fd: FileDescriptor
        switch Syscalls.open(at: directory.fd, name, flags: O_RDWR | O_CREAT | O_NOFOLLOW, mode: 0o600) {
        case .success(let f): fd = f
        case .failure(let e): return .failure(.unusableDirectory("cannot open \(directory.path)/\(name): \(errnoText(e))"))
        }
        switch Syscalls.tryLockExclusive(fd) {
        case .success: return .success(fd)
        case .failure(let e):
            try? fd.close()
            return .failure(e == .wouldBlock ? .alreadyAnswered(path: directory.path + "/" + name) : .refused("cannot lock \(directory.path)/\(name): \(errnoText(e))"))
        }
    }

    init(path: String, listener: Int32, services: [String], directory: ControlDirectory, lock: FileDescriptor, name: String) {
        self.path = path; self.listener = listener; self.services = services
        self.directory = directory; self.lock = lock; self.name = name
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
            let read = Syscalls.read(FileDescriptor(rawValue: c.fd), into: &buffer)
            // Over: the peer closed (0), or the read failed for a reason other than "nothing yet".
            let over: Bool
            switch read {
            case .success(let n): c.bytes += buffer[0..<n]; over = n == 0
            case .failure(let e): over = e != .wouldBlock
            }
            if let nl = c.bytes.firstIndex(of: 10) {
                let (event, reply) = answer(String(decoding: c.bytes[..<nl], as: UTF8.self))
                if let event { events.append(event) }
                _ = try? FileDescriptor(rawValue: c.fd).writeAll(Array((reply + "\n").utf8))
                drop(c.fd)
            } else if over || c.bytes.count > 4096 || monotonicSeconds() - c.since > 2 {
                drop(c.fd)  // ended, too long, too slow, or broken
            } else {
                kept.append(c)
            }
        }
        clients = kept
        return events
    }

    func acceptAll() {
        while clients.count < 16, case .success(let fd) = Syscalls.accept(FileDescriptor(rawValue: listener)) {
            let uid = pd_peer_uid(fd.rawValue)
            guard uid == Int(getuid()) || uid == 0 else { try? fd.close(); continue }
            clients.append((fd.rawValue, [], monotonicSeconds()))
        }
    }

    func drop(_ fd: Int32) { try? FileDescriptor(rawValue: fd).close() }

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

    /// Closes every connection and the socket; the socket file goes, then
    /// the lock is let go (the lock file stays: removing it could let two
    /// `up`s lock two files of one name).
    public func close() {
        for c in clients { drop(c.fd) }
        clients = []
        drop(listener)
        _ = Syscalls.unlink(at: directory.fd, name)
        try? lock.close()
        directory.close()
    }
}

