#!/usr/bin/env python3
"""The router of `portdash serve` against nginx as a reverse proxy and against
no proxy at all, on loopback only (bench/ROUTER.md has the figures).

    apt-get install -y nginx wrk
    swift build -c release --product portdash-serve --product portdash
    python3 bench/router.py [--rounds 3] [--seconds 10]

The upstream is nginx serving a 1 KiB file. The proxy nginx has --workers
workers (default 1) and serve as many event loops (PORTDASH_SERVE_THREADS):
the same count, or the comparison says nothing. An upstream block with keepalive, proxy_http_version 1.1 and
proxy_buffering off. Each round runs wrk -t2 -c64 against the three in turn
(direct, nginx, portdash), so the machine's drift hits all three alike.
Then a WebSocket echo round trip (direct and through portdash), and the peak
RSS (VmHWM) of serve during a 1 GB upload to a sink upstream.
"""
import argparse, base64, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, threading, time
from benchlib.proxies import stop, upstream_conf, wait_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UP, PROXY, SERVE, SINK = 18081, 18082, 18083, 18084


def nginx_conf(d, workers):
    return f"""
worker_processes {workers};
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream up {{ server 127.0.0.1:{UP}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{PROXY};
        keepalive_requests 1000000;
        location / {{
            proxy_pass http://up;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_buffering off;
        }}
    }}
}}
"""


def wrk(url, host, seconds):
    cmd = ["wrk", "-t2", "-c64", f"-d{seconds}s", "--latency"] + (["-H", f"Host: {host}"] if host else []) + [url]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, p99, int(errors.group(1)) if errors else 0


SINK_PY = r'''
import base64, hashlib, socket, sys, threading
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", int(sys.argv[1]))); srv.listen(64)
def serve(c):
    f = c.makefile("rb")
    line = f.readline(); headers = {}
    while True:
        l = f.readline().decode()
        if l in ("\r\n", ""): break
        k, v = l.split(":", 1); headers[k.strip().lower()] = v.strip()
    if "sec-websocket-key" in headers:
        a = base64.b64encode(hashlib.sha1((headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        c.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % a).encode())
        while True:
            h = f.read(2)
            if len(h) < 2: return
            n = h[1] & 0x7F; mask = f.read(4); data = bytes(b ^ mask[i % 4] for i, b in enumerate(f.read(n)))
            c.sendall(bytes([0x81, n]) + data)
    n = 0
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int(f.readline().split(b";")[0], 16)
            if size == 0: f.readline(); break
            left = size
            while left:
                b = f.read(min(left, 1 << 20)); left -= len(b); n += len(b)
            f.readline()
    else:
        left = int(headers.get("content-length", 0))
        while left:
            b = f.read(min(left, 1 << 20)); left -= len(b); n += len(b)
    body = str(n).encode()
    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)); c.close()
while True:
    c, _ = srv.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
'''


def ws_round_trips(port, host, count=2000):
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(f"GET /ws HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    assert buf.startswith(b"HTTP/1.1 101"), buf[:80]
    times = []
    for _ in range(count):
        t = time.perf_counter()
        s.sendall(b"\x81\x84\x00\x00\x00\x00ping")
        got = b""
        while len(got) < 6:
            got += s.recv(64)
        times.append((time.perf_counter() - t) * 1e6)
    s.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99)]


def vm(pid, key):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key):
            return int(line.split()[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--upload-mib", type=int, default=1024)
    ap.add_argument("--workers", type=int, default=1, help="nginx's worker_processes and serve's event loops (PORTDASH_SERVE_THREADS): the same count")
    ap.add_argument("--base", type=int, default=18081, help="first of the four loopback ports used (a run's TIME_WAITs block reserving them again for a minute)")
    args = ap.parse_args()
    global UP, PROXY, SERVE, SINK
    UP, PROXY, SERVE, SINK = args.base, args.base + 1, args.base + 2, args.base + 3
    for tool in ["nginx", "wrk", "curl"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install -y nginx wrk curl")
    serve_bin = os.environ.get("PORTDASH_SERVE", f"{ROOT}/.build/release/portdash-serve")
    portdash = os.environ.get("PORTDASH", f"{ROOT}/.build/release/portdash")
    d = tempfile.mkdtemp(prefix="portdash-router-bench-")
    os.chmod(d, 0o755)  # nginx workers run as nobody/www-data
    procs = []
    try:
        state, rng = f"{d}/state/leases.json", f"{UP}-{SINK}"
        # Reserved while free (a reservation of a port someone else holds is refused).
        for port, name in [(UP, "bench"), (SINK, "sink")]:
            subprocess.run([portdash, "reserve", str(port), name, "--range", rng, "--state", state], check=True, capture_output=True)
        open(f"{d}/up.conf", "w").write(upstream_conf(d, args.workers, UP))
        procs.append(subprocess.Popen(["nginx", "-c", f"{d}/up.conf"]))
        open(f"{d}/nginx.conf", "w").write(nginx_conf(d, args.workers))
        procs.append(subprocess.Popen(["nginx", "-c", f"{d}/nginx.conf"]))
        procs.append(subprocess.Popen([sys.executable, "-c", SINK_PY, str(SINK)]))
        serve = subprocess.Popen([serve_bin, "--listen", f"127.0.0.1:{SERVE}", "--range", rng, "--state", state, "--interval", "1"],
                                 stderr=subprocess.DEVNULL, env=dict(os.environ, PORTDASH_SERVE_THREADS=str(args.workers)))
        procs.append(serve)
        for p in (UP, PROXY, SERVE, SINK):
            wait_port(p)
        time.sleep(2)  # serve's first refreshes see the reserved listeners
        print(f"machine: {os.cpu_count()} cores; wrk -t2 -c64 -d{args.seconds}s --latency, {args.rounds} alternating rounds; 1 KiB file; "
              f"{args.workers} nginx worker(s) and serve event loop(s); the upstream an nginx of its own with as many")
        results = {"direct": [], "nginx": [], "portdash": []}
        for r in range(args.rounds):
            for name, url, host in [("direct", f"http://127.0.0.1:{UP}/1k.bin", None),
                                    ("nginx", f"http://127.0.0.1:{PROXY}/1k.bin", "bench.localhost"),
                                    ("portdash", f"http://127.0.0.1:{SERVE}/1k.bin", "bench.localhost")]:
                rps, p99, bad = wrk(url, host, args.seconds)
                results[name].append((rps, p99))
                print(f"round {r + 1} {name:9} {rps:10.0f} req/s  p99 {p99:7.3f} ms" + (f"  NON-2XX {bad}" if bad else ""))
        med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in results.items()}
        ratios = [p[0] / n[0] for p, n in zip(results["portdash"], results["nginx"])]
        print("| | req/s (median) | p99 ms (median) |\n|---|---|---|")
        for k, (rps, p99) in med.items():
            print(f"| {k} | {rps:.0f} | {p99:.3f} |")
        print(f"portdash/nginx req/s, pair by pair: {', '.join(f'{x:.2f}' for x in ratios)}; median {statistics.median(ratios):.2f}")
        print(f"p99 portdash - nginx: {med['portdash'][1] - med['nginx'][1]:+.3f} ms")

        direct = ws_round_trips(SINK, "sink.localhost")
        routed = ws_round_trips(SERVE, "sink.localhost")
        print(f"WebSocket echo round trip, 2000 messages: direct median {direct[0]:.0f} µs (p99 {direct[1]:.0f}), "
              f"through portdash median {routed[0]:.0f} µs (p99 {routed[1]:.0f})")

        before = vm(serve.pid, "VmHWM:")
        total = args.upload_mib << 20
        t = time.time()
        up = subprocess.run(f"head -c {total} /dev/zero | curl -s -T - -H 'Host: sink.localhost' http://127.0.0.1:{SERVE}/upload",
                            shell=True, capture_output=True, text=True)
        took = time.time() - t
        peak = vm(serve.pid, "VmHWM:")
        print(f"upload of {args.upload_mib} MiB (chunked, curl -T -): sink counted {up.stdout} bytes in {took:.1f} s; "
              f"serve VmHWM {before / 1024:.1f} MiB before, {peak / 1024:.1f} MiB after")
    finally:
        stop(procs)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
