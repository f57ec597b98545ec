#!/usr/bin/env python3
"""The router of `portdash serve` over TLS and HTTP/2 against nginx and Caddy
as reverse proxies, on loopback only (figures in bench/ROUTER.md and
docs/speed.md).

    apt-get install -y nginx caddy wrk nghttp2-client openssl
    swift build -c release --product portdash-serve --product portdash
    python3 bench/router_tls.py [--workers 1,2] [--rounds 3] [--seconds 10]

For each worker count N (nginx worker_processes, Caddy's GOMAXPROCS,
PORTDASH_SERVE_THREADS) the three proxies run side by side in front of the
same upstream (nginx, N workers, a 1 KiB file), each with TLS (an ECDSA P-256
certificate), a keep-alive upstream and HTTP/2 on the TLS port. Each round
measures, proxy after proxy so that the machine's drift hits all alike:

- plain HTTP/1.1: wrk -t2 -c64 (nginx and portdash)
- TLS HTTP/1.1:   wrk -t2 -c64 on https (all three)
- h2:             h2load -c32 -m10 (all three)
- handshakes:     wrk -t2 -c16 with Connection: close, one full TLS
                  handshake per request (all three)

Ratios are portdash/other pair by pair, then their median. Trust: nginx and
Caddy get certificates made here with openssl (Caddy also has
`skip_install_trust` and `admin off`, its storage in the temporary
directory); portdash's CA is made by `portdash trust` with HOME and
XDG_DATA_HOME in the temporary directory, and removed again with
`portdash trust --uninstall`. The system's trust (/usr/local/share/ca-certificates
and /etc/ssl/certs/ca-certificates.crt) is compared before and after: the
script fails if anything is left behind.
"""
import argparse, glob, hashlib, os, re, shutil, signal, socket, statistics, subprocess, sys, tempfile, time
from benchlib.proxies import start, stop, upstream_conf, wait_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOST = "bench.localhost"


def trust_fingerprint():
    """What the system trusts: the local CA directory's files and the bundle's hash."""
    files = sorted(glob.glob("/usr/local/share/ca-certificates/**/*", recursive=True))
    bundle = "/etc/ssl/certs/ca-certificates.crt"
    digest = hashlib.sha256(open(bundle, "rb").read()).hexdigest() if os.path.exists(bundle) else None
    return files, digest


def make_certs(d):
    """A CA and a leaf for bench.localhost, localhost and 127.0.0.1 (ECDSA P-256), for nginx and Caddy."""
    run = lambda *a: subprocess.run(list(a), check=True, capture_output=True, cwd=d)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
        "-subj", "/CN=bench CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={HOST}",
        "-keyout", "leaf.key", "-out", "leaf.csr")
    open(f"{d}/ext.cnf", "w").write(f"subjectAltName=DNS:{HOST},DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "ext.cnf", "-out", "leaf.pem")


def nginx_conf(d, workers, up, plain, tls):
    return f"""
worker_processes {workers};
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream up {{ server 127.0.0.1:{up}; keepalive 64; }}
    server {{
        listen 127.0.0.1:{plain};
        listen 127.0.0.1:{tls} ssl http2;
        ssl_certificate {d}/leaf.pem;
        ssl_certificate_key {d}/leaf.key;
        ssl_protocols TLSv1.2 TLSv1.3;
        keepalive_requests 1000000;
        http2_max_requests 1000000;
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


def caddyfile(d, up, tls, http_port):
    return f"""{{
    admin off
    skip_install_trust
    auto_https disable_redirects
    http_port {http_port}
    default_sni {HOST}
    storage file_system {{
        root {d}/caddy-data
    }}
    log {{
        level ERROR
    }}
}}
https://{HOST}:{tls}, https://127.0.0.1:{tls} {{
    tls {d}/leaf.pem {d}/leaf.key
    reverse_proxy 127.0.0.1:{up} {{
        transport http {{
            keepalive 60s
            keepalive_idle_conns 64
        }}
    }}
}}
"""


def wrk(url, seconds, connections=64, close=False):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-H", f"Host: {HOST}"]
    if close:
        cmd += ["-H", "Connection: close"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        return 0.0, float("nan"), -1
    p = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", out)
    p99 = float(p.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[p.group(2)] if p else float("nan")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return float(m.group(1)), p99, (int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors and close is False else 0)


def h2load(port, seconds):
    cmd = ["h2load", "-c32", "-m10", "-t2", f"-D{seconds}", "--warm-up-time=1", f"--connect-to=127.0.0.1:{port}",
           f"https://{HOST}:{port}/1k.bin"]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    m = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", out)
    ok = re.search(r"status codes: (\d+) 2xx", out)
    failed = re.search(r"requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed", out)
    proto = re.search(r"Application protocol: (\S+)", out)
    if not m or not proto or proto.group(1) != "h2":
        return 0.0, float("nan"), -1
    # h2load's latency table: "time for request:  min max mean sd +/- sd"; p99 is not printed: the max stands in.
    t = re.search(r"time for request:\s+\S+\s+(\S+)", out)
    unit = re.match(r"([\d.]+)(us|ms|s)", t.group(1)) if t else None
    worst = float(unit.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[unit.group(2)] if unit else float("nan")
    return float(m.group(1)), worst, int(failed.group(1)) if failed else 0


def run_workers(args, n, d, ca_env, base, portdash_serve, portdash):
    up, nplain, ntls, ctls, chttp, splain, stls = base, base + 1, base + 2, base + 3, base + 4, base + 5, base + 6
    procs = []
    try:
        state, rng = f"{d}/state-{n}/leases.json", f"{up}-{up}"
        subprocess.run([portdash, "reserve", str(up), "bench", "--range", rng, "--state", state], check=True, capture_output=True)
        open(f"{d}/up-{n}.conf", "w").write(upstream_conf(d, n, up))
        procs.append(start(["nginx", "-c", f"{d}/up-{n}.conf"]))
        wait_port(up)
        open(f"{d}/nginx-{n}.conf", "w").write(nginx_conf(d, n, up, nplain, ntls))
        procs.append(start(["nginx", "-c", f"{d}/nginx-{n}.conf"]))
        open(f"{d}/Caddyfile-{n}", "w").write(caddyfile(d, up, ctls, chttp))
        caddy_env = dict(os.environ, GOMAXPROCS=str(n), HOME=d, XDG_DATA_HOME=f"{d}/caddy-xdg", XDG_CONFIG_HOME=f"{d}/caddy-xdg")
        procs.append(start(["caddy", "run", "--adapter", "caddyfile", "--config", f"{d}/Caddyfile-{n}"], env=caddy_env))
        serve_env = dict(ca_env, PORTDASH_SERVE_THREADS=str(n))
        procs.append(start([portdash_serve, "--listen", f"127.0.0.1:{splain}", "--tls-listen", f"127.0.0.1:{stls}",
                            "--range", rng, "--state", state, "--interval", "1"], env=serve_env, log=open(f"{d}/serve-{n}.log", "w")))
        for p in (nplain, ntls, ctls, splain, stls):
            wait_port(p)
        time.sleep(2)  # serve's first refreshes see the reserved listener
        tests = [
            ("plain HTTP/1.1 (wrk -t2 -c64)", [("nginx", lambda: wrk(f"http://127.0.0.1:{nplain}/1k.bin", args.seconds)),
                                                ("portdash", lambda: wrk(f"http://127.0.0.1:{splain}/1k.bin", args.seconds))]),
            ("TLS HTTP/1.1 (wrk -t2 -c64, https)", [("nginx", lambda: wrk(f"https://127.0.0.1:{ntls}/1k.bin", args.seconds)),
                                                     ("caddy", lambda: wrk(f"https://127.0.0.1:{ctls}/1k.bin", args.seconds)),
                                                     ("portdash", lambda: wrk(f"https://127.0.0.1:{stls}/1k.bin", args.seconds))]),
            ("h2 (h2load -c32 -m10)", [("nginx", lambda: h2load(ntls, args.seconds)), ("caddy", lambda: h2load(ctls, args.seconds)),
                                       ("portdash", lambda: h2load(stls, args.seconds))]),
            ("TLS handshakes (wrk -t2 -c16, Connection: close)",
             [("nginx", lambda: wrk(f"https://127.0.0.1:{ntls}/1k.bin", args.seconds, 16, close=True)),
              ("caddy", lambda: wrk(f"https://127.0.0.1:{ctls}/1k.bin", args.seconds, 16, close=True)),
              ("portdash", lambda: wrk(f"https://127.0.0.1:{stls}/1k.bin", args.seconds, 16, close=True))]),
        ]
        results = {t: {name: [] for name, _ in runs} for t, runs in tests}
        for r in range(args.rounds):
            for title, runs in tests:
                for name, fn in runs:
                    rps, p99, bad = fn()
                    results[title][name].append((rps, p99))
                    print(f"N={n} round {r + 1} {title:50} {name:9} {rps:10.0f} req/s  p99 {p99:8.3f} ms" + (f"  ERRORS {bad}" if bad else ""), flush=True)
        print(f"\n### {n} worker(s): nginx worker_processes {n}, Caddy GOMAXPROCS={n}, PORTDASH_SERVE_THREADS={n}\n")
        print("| test | nginx req/s | Caddy req/s | portdash req/s | portdash/nginx (pairs; median) | portdash/Caddy (pairs; median) | p99 ms nginx / Caddy / portdash |")
        print("|---|---|---|---|---|---|---|")
        for title, runs in tests:
            res = results[title]
            med = {k: statistics.median(x[0] for x in v) for k, v in res.items()}
            p99 = {k: statistics.median(x[1] for x in v) for k, v in res.items()}

            def ratio(other):
                if other not in res:
                    return "–"
                pairs = [p[0] / o[0] if o[0] else float("nan") for p, o in zip(res["portdash"], res[other])]
                return f"{', '.join(f'{x:.2f}' for x in pairs)}; **{statistics.median(pairs):.2f}**"
            fmt = lambda k: f"{med[k]:,.0f}" if k in med else "–"
            fp = lambda k: f"{p99[k]:.2f}" if k in p99 else "–"
            print(f"| {title} | {fmt('nginx')} | {fmt('caddy')} | {fmt('portdash')} | {ratio('nginx')} | {ratio('caddy')} | {fp('nginx')} / {fp('caddy')} / {fp('portdash')} |")
        print("\n(h2load prints no p99: its column shows the longest request time.)", flush=True)
    finally:
        stop(procs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", default="1,2", help="worker counts to compare, e.g. 1,2")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--base", type=int, default=19101, help="first of the loopback ports used (7 per worker count)")
    args = ap.parse_args()
    for tool in ["nginx", "caddy", "wrk", "h2load", "openssl"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: apt-get install -y nginx caddy wrk nghttp2-client openssl")
    portdash_serve = os.environ.get("PORTDASH_SERVE", f"{ROOT}/.build/release/portdash-serve")
    portdash = os.environ.get("PORTDASH", f"{ROOT}/.build/release/portdash")
    before = trust_fingerprint()
    d = tempfile.mkdtemp(prefix="portdash-router-tls-bench-")
    os.chmod(d, 0o755)  # nginx workers run as nobody/www-data
    ca_env = dict(os.environ, HOME=f"{d}/home", XDG_DATA_HOME=f"{d}/home/.local/share")
    os.makedirs(ca_env["XDG_DATA_HOME"])
    trusted = False
    try:
        make_certs(d)
        made = subprocess.run([portdash, "trust"], env=ca_env, capture_output=True, text=True)
        trusted = True
        if not os.path.isdir(f"{ca_env['XDG_DATA_HOME']}/portdash/ca"):
            sys.exit(f"portdash trust made no CA: {made.stdout} {made.stderr}")
        print(f"machine: {os.cpu_count()} cores; nginx {subprocess.run(['nginx', '-v'], capture_output=True, text=True).stderr.strip()}; "
              f"caddy {subprocess.run(['caddy', 'version'], capture_output=True, text=True).stdout.strip()}; "
              f"{args.rounds} alternating rounds of {args.seconds} s; 1 KiB file", flush=True)
        for i, n in enumerate(int(x) for x in args.workers.split(",")):
            run_workers(args, n, d, ca_env, args.base + 10 * i, portdash_serve, portdash)
    finally:
        if trusted:
            subprocess.run([portdash, "trust", "--uninstall"], env=ca_env, capture_output=True)
        shutil.rmtree(d, ignore_errors=True)
        after = trust_fingerprint()
        if after != before:
            print(f"TRUST LEFT BEHIND: before {before}, after {after}", file=sys.stderr)
            sys.exit(1)
        print("trust: /usr/local/share/ca-certificates and the system bundle are as before", flush=True)


if __name__ == "__main__":
    main()
