import PortKit
import Glibc

/// Every failure `portdash serve` reports before it serves: one line that
/// names the problem and the fix, and a documented exit code.
public enum ServeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `--listen` (or `--tls-listen`: `option`) is not ADDRESS:PORT.
    case badListen(text: String, why: String, option: String = "--listen")
    /// `--listen` (or `--tls-listen`) names an address other machines can reach, without `--allow-remote`.
    case notLoopback(ListenAddress, option: String = "--listen")
    /// socket(2), bind(2) or listen(2) failed.
    case cannotListen(ListenAddress, errno: Int32)
    /// LISTEN_FDS (socket activation) names something other than listening TCP sockets.
    case badActivation(String)
    /// HTTPS was asked for (--tls-listen, an `https` socket) and the local CA cannot sign: the CA's own line.
    case noCertificates(String)

    public var description: String {
        switch self {
        case .badListen(let text, let why, let option):
            let port = option == "--listen" ? ListenAddress.defaultPort : ListenAddress.defaultTLSPort
            return "\(option) \(text): \(why); write ADDRESS:PORT, e.g. \(option) 127.0.0.1:\(port) or \(option) [::1]:\(port)"
        case .notLoopback(let address, let option):
            return "\(option) \(address) is not a loopback address: every machine that reaches it could read your processes' command lines; "
                + "use 127.0.0.1 or [::1], or add --allow-remote if you mean it"
        case .cannotListen(let address, let err):
            let fix = err == EADDRINUSE ? "; something already listens there (portdash status \(address.port)), pick another with --listen"
                : err == EADDRNOTAVAIL ? "; no interface has that address" : ""
            return "cannot listen on \(address): \(errnoText(err))\(fix)"
        case .badActivation(let why):
            return "socket activation: \(why); pass TCP listening sockets (ListenStream= in the .socket unit)"
        case .noCertificates(let why):
            return "HTTPS needs the local CA, and \(why); run portdash trust (once), or leave out --tls-listen"
        }
    }

    /// sysexits: 64 usage, 69 unavailable (the address is taken), 71 system error.
    public var exitCode: Int32 {
        switch self {
        case .badListen, .notLoopback: return 64
        case .badActivation, .noCertificates: return 78
        case .cannotListen(_, let err): return err == EADDRINUSE || err == EADDRNOTAVAIL ? 69 : (err == EACCES ? 77 : 71)
        }
    }
}
