"""Whether a port is free, as the bench scripts pick theirs (never 5000-5010)."""

import socket


def port_is_free(port):
    """Nothing bound on `port`, on IPv4 and on IPv6 (IPV6_V6ONLY, as portdash probes)."""
    for fam, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        with socket.socket(fam, socket.SOCK_STREAM) as s:
            try:
                if fam == socket.AF_INET6:
                    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                s.bind((addr, port))
            except OSError:
                return False
    return True
