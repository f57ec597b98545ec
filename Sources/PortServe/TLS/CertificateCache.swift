import NIOSSL
import PortKit
import Synchronization

/// One certificate per name the router serves over TLS, made when a
/// handshake first names it (SNI) and kept until half its life has passed,
/// then made again: a handshake never meets an expired one, and a name
/// nobody asks for costs nothing. Only names the router knows get one
/// (`knows`): `localhost`, portdash.localhost, and `.localhost` names with a
/// lease; an SNI of any other name fails the handshake (a name that had a
/// lease keeps its certificate until it expires, so its URL shows the
/// router's 404 or 502 page once the lease is gone). A handshake without
/// SNI (a client dialling 127.0.0.1 or [::1]: IP addresses are never sent
/// as SNI, RFC 6066 §3) gets the default certificate: localhost,
/// portdash.localhost, 127.0.0.1 and ::1.
final class CertificateCache: Sendable {
    struct Entry: Sendable {
        let chain: [NIOSSLCertificateSource]
        let key: NIOSSLPrivateKeySource
        let issued: Double
        let notAfter: Double
        /// Half the lifetime: from here on a handshake gets a new one.
        var renewAt: Double { issued + (notAfter - issued) / 2 }
    }

    enum Refusal: Error, CustomStringConvertible {
        case unknownName(String)
        var description: String {
            switch self { case .unknownName(let n): "no certificate for \(sanitized(n)): not a name this router serves" }
        }
    }

    static let defaultName = "localhost"
    static let defaultNames = ["localhost", HostPolicy.ownName]
    static let defaultAddresses = ["127.0.0.1", "::1"]

    private let issuer: any CertificateIssuer
    private let routes: RouteBox
    private let clock: @Sendable () -> Double
    private let entries = Mutex<[String: Entry]>([:])

    init(issuer: any CertificateIssuer, routes: RouteBox, clock: @escaping @Sendable () -> Double) {
        self.issuer = issuer
        self.routes = routes
        self.clock = clock
    }

    /// The certificate for a handshake's SNI (nil: none sent; some clients,
    /// wrk among them, send the loopback address they dial: the default too).
    func entry(sni: String?) throws -> Entry {
        var name = (sni ?? Self.defaultName).lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        if Self.defaultNames.contains(name) || Self.isLoopbackAddress(name) { name = Self.defaultName }
        let now = clock()
        let cached = entries.withLock { $0[name] }
        guard knows(name) else {
            // A name served before whose lease has gone (a stopped `up`, a
            // bookmark) keeps the certificate it had until that expires: the
            // browser then gets the router's page saying how to start it, not
            // a TLS error. Nothing new is ever issued for it.
            if let cached, now < cached.notAfter { return cached }
            throw Refusal.unknownName(name)
        }
        if let e = cached, now < e.renewAt { return e }
        let made = try make(name, now: now)
        entries.withLock { $0[name] = made }
        return made
    }

    static func isLoopbackAddress(_ text: String) -> Bool {
        guard let a = try? ListenAddress(parsing: text.contains(":") ? "[\(text)]:1" : "\(text):1") else { return false }
        return a.isLoopback && (a.ipv6 || text.first?.isNumber == true)
    }

    func knows(_ name: String) -> Bool {
        name == Self.defaultName || routes.current.names.route(host: name) != nil
    }

    private func make(_ name: String, now: Double) throws -> Entry {
        let issued = name == Self.defaultName
            ? try issuer.issue(dnsNames: Self.defaultNames, ipAddresses: Self.defaultAddresses, now: now)
            : try issuer.issue(dnsNames: [name], ipAddresses: [], now: now)
        let chain = try issued.chainDER.map { NIOSSLCertificateSource.certificate(try NIOSSLCertificate(bytes: $0, format: .der)) }
        let key = NIOSSLPrivateKeySource.privateKey(try NIOSSLPrivateKey(bytes: issued.privateKeyDER, format: .der))
        return Entry(chain: chain, key: key, issued: now, notAfter: issued.notAfter)
    }

    /// Names with a certificate now (the tests look).
    var names: [String] { entries.withLock { Array($0.keys) } }
}
