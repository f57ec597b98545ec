import PortKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A test upstream for the router (python3, as CI has it), on the address
/// asked: /echo answers the request head as JSON; /chunked sends one chunk
/// and the last only once a file exists; /upload counts the body; /ws does
/// a WebSocket handshake and echoes frames; /switch answers 101 unasked;
/// /silent never answers; /hangup closes without a word.
public final class TestUpstream {
    public let process: ChildProcess
    public let port: UInt16
    public let release: String

    public init(port: UInt16, address: String, dir: String) {
        self.port = port
        release = dir + "/release-\(port)"
        let script = dir + "/upstream.py"
        TestSupport.writeFile(script, TestUpstream.script)
        process = ChildProcess(["python3", script, address, String(port), release])
    }

    deinit {
        process.signal(SIGKILL)
        _ = process.wait()
    }

    static let script = #"""
# A test upstream for the router: HTTP/1.1 keep-alive, on the family asked.
# /echo: the request head as JSON; /chunked: one chunk, then the last only once
# the file argv[3] exists; /upload: counts the body (length or chunked);
# /ws: a WebSocket handshake, then echoes each frame's payload; /switch: 101
# though nobody asked; /silent: never a word; /hangup: closed unanswered.
import base64, hashlib, json, os, socket, sys, threading, time

host, port, release = sys.argv[1], int(sys.argv[2]), sys.argv[3]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
srv = socket.socket(family, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if family == socket.AF_INET6:
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
srv.bind((host, port))
srv.listen(64)

def read_head(f):
    line = f.readline()
    if not line:
        return None
    method, target, _ = line.decode().split(" ", 2)
    headers = []
    while True:
        l = f.readline().decode()
        if l in ("\r\n", "\n", ""):
            break
        k, v = l.split(":", 1)
        headers.append((k.strip(), v.strip()))
    return method, target, headers

def get(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None

def send(c, status, body, extra=()):
    head = "HTTP/1.1 %s\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n" % (status, len(body))
    head += "".join("%s: %s\r\n" % kv for kv in extra) + "\r\n"
    c.sendall(head.encode() + body)

def body_length(f, headers):
    n = 0
    if (get(headers, "transfer-encoding") or "").lower() == "chunked":
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0:
                while f.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return n
            left = size
            while left:
                b = f.read(min(left, 65536))
                left -= len(b)
                n += len(b)
            f.readline()
    left = int(get(headers, "content-length") or 0)
    while left:
        b = f.read(min(left, 65536))
        if not b:
            break
        left -= len(b)
        n += len(b)
    return n

def websocket(c, f, headers):
    key = get(headers, "sec-websocket-key")
    accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               "Sec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
    while True:
        h = f.read(2)
        if len(h) < 2:
            return
        op, n = h[0] & 0x0F, h[1] & 0x7F
        if n == 126:
            n = int.from_bytes(f.read(2), "big")
        elif n == 127:
            n = int.from_bytes(f.read(8), "big")
        mask = f.read(4) if h[1] & 0x80 else b"\0\0\0\0"
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(f.read(n)))
        if op == 8:
            c.sendall(b"\x88\x00")
            return
        out = bytes([0x80 | op]) + (bytes([n]) if n < 126 else b"\x7e" + n.to_bytes(2, "big")) + data
        c.sendall(out)

def serve(c):
    f = c.makefile("rb")
    while True:
        head = read_head(f)
        if head is None:
            return
        method, target, headers = head
        if target == "/ws":
            return websocket(c, f, headers)
        if target == "/switch":
            c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: other\r\nConnection: Upgrade\r\n\r\nraw bytes")
            continue
        if target == "/silent":
            time.sleep(3600)
        if target == "/hangup":
            c.close()
            return
        if (get(headers, "expect") or "").lower() == "100-continue":
            c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        n = body_length(f, headers)
        if target == "/upload":
            send(c, "200 OK", b"%d" % n)
        elif target == "/chunked":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n")
            while not os.path.exists(release):
                time.sleep(0.02)
            c.sendall(b"5\r\nlast\n\r\n0\r\n\r\n")
        else:
            send(c, "200 OK", json.dumps({"method": method, "target": target, "headers": headers, "bodyBytes": n,
                                          "family": "ipv6" if family == socket.AF_INET6 else "ipv4"}).encode())

while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
"""#
}

/// A raw client connection: what was sent is exactly what the test wrote.
public final class RawClient {
    public let fd: Int32
    public private(set) var received: [UInt8] = []
    public var text: String { String(decoding: received, as: UTF8.self) }

    public init?(port: UInt16) {
        guard let fd = HTTPTestClient.connect(port: port) else { return nil }
        self.fd = fd
    }

    public func send(_ text: String) -> Bool { HTTPTestClient.sendAll(fd, text) }

    public func send(bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            off += n
        }
        return true
    }

    /// Reads until `bytes` has arrived after `from` (true), the connection ends, or `seconds` pass.
    public func waitFor(_ needle: String, from: Int = 0, seconds: Double = 120) -> Bool {
        let deadline = monotonicSeconds() + seconds
        let n = Array(needle.utf8)
        func found() -> Bool {
            guard received.count - from >= n.count else { return false }
            for i in from...(received.count - n.count) where received[i] == n[0] && Array(received[i..<(i + n.count)]) == n { return true }
            return false
        }
        while !found() {
            guard let chunk = HTTPTestClient.readSome(fd, until: deadline), !chunk.isEmpty else { return found() }
            received += chunk
        }
        return true
    }

    public func readUntilClosed() { received += HTTPTestClient.readUntilClosed(fd, seconds: 60) }

    /// Reads until the peer closes (true) or `seconds` pass (false).
    public func closes(within seconds: Double = 60) -> Bool {
        let deadline = monotonicSeconds() + seconds
        while let chunk = HTTPTestClient.readSome(fd, until: deadline) {
            if chunk.isEmpty { return true }
            received += chunk
        }
        return false
    }

    deinit { close(fd) }
}
