"""What bench/router.py and bench/router_tls.py share: starting and stopping
the proxies, waiting for a port, and the upstream both proxy to (an nginx of
its own serving a 1 KiB file)."""
import signal, socket, subprocess, sys, time


def start(argv, env=None, log=None):
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=log or subprocess.DEVNULL)


def stop(procs):
    """SIGTERM to each, then up to 10 s for each to end before SIGKILL."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()


def wait_port(port, seconds=30):
    """Returns once 127.0.0.1:port accepts a connection; exits the bench if it never does."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on 127.0.0.1:{port}")


def upstream_conf(d, workers, port):
    """The upstream: an nginx of its own, so that the proxy nginx's workers do
    proxy work only (an upstream in the proxy's own process shares its one
    worker: the proxy's figure halves, and portdash's ratio looks better than it is)."""
    with open(f"{d}/1k.bin", "wb") as f:
        f.write(b"x" * 1024)
    return f"""
worker_processes {workers};
daemon off;
pid {d}/up.pid;
error_log {d}/up-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000; location / {{ root {d}; }} }}
}}
"""
