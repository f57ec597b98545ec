#if canImport(Glibc)
import Glibc
#endif

/// The router the URLs go through: its port, and whether it speaks TLS.
/// nil everywhere means none runs, and URLs are direct.
public struct RouterAddress: Sendable, Equatable {
    public var port: UInt16
    public var tls: Bool

    public init(port: UInt16, tls: Bool = false) { self.port = port; self.tls = tls }

    /// The router URLs name, from one rule for every verb:
    /// 1. `PORTDASH_ROUTER_PORT=N`: plain HTTP on N, whatever runs (a router
    ///    started on first use by systemd has written no record yet);
    /// 2. the record of the `portdash serve` running for this state file: its
    ///    TLS port when it has one, else its HTTP port;
    /// 3. none: nil.
    public static func current(statePath: String, environment: ((String) -> String?)? = nil,
                               reader: ProcessReader = ProcessReader()) -> RouterAddress? {
        let env = environment ?? { getenv($0).map { String(cString: $0) } }
        if let text = env("PORTDASH_ROUTER_PORT"), let port = UInt16(text), port > 0 { return RouterAddress(port: port) }
        guard let r = RouterRecord.live(statePath: statePath, reader: reader) else { return nil }
        if let https = r.https { return RouterAddress(port: https, tls: true) }
        return r.http.map { RouterAddress(port: $0) }
    }

    /// The router that `record` describes (serve's own view of itself).
    public init?(_ record: RouterRecord) {
        guard let port = record.https ?? record.http else { return nil }
        self.init(port: port, tls: record.https != nil)
    }

    /// `https://web.shop.localhost/`, `http://web.shop.localhost:5099/`: no port when it is the scheme's own.
    public func url(host: String) -> String {
        let scheme = tls ? "https" : "http"
        return port == (tls ? 443 : 80) ? "\(scheme)://\(host)/" : "\(scheme)://\(host):\(port)/"
    }

    /// A port's URL without the router: `http://127.0.0.1:5001/`.
    public static func direct(port: UInt16) -> String { "http://127.0.0.1:\(port)/" }
}
