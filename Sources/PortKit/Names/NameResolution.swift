#if canImport(Glibc)
import Glibc
#endif

/// Whether programs on this machine can reach a `.localhost` name. Browsers
/// and curl ≥ 7.85 map `*.localhost` to loopback themselves (RFC 6761);
/// everything that asks glibc (Python, Node's fetch, Go with cgo, Ruby)
/// finds it only through nss-myhostname, systemd-resolved or /etc/hosts.
public enum NameResolution {
    /// getaddrinfo(3), as those programs call it. It may ask the DNS
    /// server (`hosts: files dns`), so callers run it off their main path.
    public static func resolves(_ host: String) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        if let result { freeaddrinfo(result) }
        return status == 0
    }

    /// What `up` says, once, when `host` does not resolve.
    /// `directVariable`: the variable with the direct URL, and `directTemplate`
    /// the portdash.toml template for it (`API_DIRECT_URL`, `{api.direct_url}`).
    public static func advice(host: String, directVariable: String, directTemplate: String? = nil) -> String {
        "\(host) does not resolve for programs here (glibc has no nss-myhostname or systemd-resolved): "
            + "browsers and curl reach it, Python, Node and Go do not. Fix: sudo portdash hosts --write "
            + "(after each new checkout), or install nss-myhostname (Debian: libnss-myhostname) and add myhostname to hosts: "
            + "in /etc/nsswitch.conf; or give those programs \(directVariable)" + (directTemplate.map { " (\($0) in portdash.toml)" } ?? "")
    }
}
