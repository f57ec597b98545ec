import Crypto
import PortKit
import SwiftASN1
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// The local CA `portdash trust` makes: a root and an intermediate, both
/// ECDSA P-256 and both carrying critical Name Constraints that permit only
/// `localhost`, `*.localhost`, 127.0.0.0/8 and ::1 (LocalNames).
///
/// Why two certificates: the root's key signs the intermediate once and is
/// then dropped, never written to disk, so the certificate every trust store
/// holds can sign nothing more, ever; the key on disk is the intermediate's,
/// whose own constraints bind it too. A verifier that applies the constraints
/// of a trust anchor (Chrome since 2024, NSS, OpenSSL, Go) stops a bad leaf at
/// the root; one that treats the anchor's extensions as information only
/// (RFC 5280 §6.1.1(d) leaves that open) still stops it at the intermediate.
/// The price: when the intermediate expires (in ten years) `portdash trust`
/// makes a new CA and installs it again.
public struct LocalCA: Sendable {
    public let files: CAFiles
    public let root: Certificate
    public let intermediate: Certificate
    let key: P256.Signing.PrivateKey

    /// How long a CA certificate is valid: ten years.
    public static let caLifetime: Double = 3650 * 86400
    /// How long a leaf is valid: seven days. Leaves are made in memory when
    /// they are needed (the router makes one per name and renews it before
    /// it ends) and never written to disk; a leaked one is dead within a week.
    public static let leafLifetime: Double = 7 * 86400
    /// notBefore is set this far back, for clocks a little behind ours.
    static let backdate: Double = 3600

    /// `$XDG_DATA_HOME/portdash/ca` (XDG: only an absolute path counts), else `~/.local/share/portdash/ca`.
    public static var defaultDirectory: String { defaultDirectory(environment: processEnvironment) }

    public static func defaultDirectory(environment env: (String) -> String?) -> String {
        if let x = env("XDG_DATA_HOME"), x.hasPrefix("/") { return x + "/portdash/ca" }
        return StatePath.homeDirectory(env) + "/.local/share/portdash/ca"
    }

    /// The CA `portdash trust` made in `directory`; `.noCA` if there is none.
    public static func load(directory: String) throws -> LocalCA {
        try loadChecked(directory: directory)
    }

    /// `load` with its error type.
    public static func loadChecked(directory: String) throws(TrustError) -> LocalCA {
        let files = CAFiles(directory: directory)
        let text = try files.read()
        let root: Certificate, intermediate: Certificate, key: P256.Signing.PrivateKey
        do { root = try Certificate(pemEncoded: text.root) } catch { throw .damaged(path: files.rootPath, problem: "not a PEM certificate") }
        do { intermediate = try Certificate(pemEncoded: text.intermediate) } catch {
            throw .damaged(path: files.intermediatePath, problem: "not a PEM certificate")
        }
        do { key = try P256.Signing.PrivateKey(pemRepresentation: text.key) } catch {
            throw .damaged(path: files.keyPath, problem: "not a PEM P-256 private key")
        }
        let ca = LocalCA(files: files, root: root, intermediate: intermediate, key: key)
        try ca.checkCoherent()
        return ca
    }

    /// The CA's root alone, for `trust --uninstall` when the intermediate or
    /// its key is damaged: taking the CA out of the stores needs only the
    /// root (its PEM, fingerprint and nickname), so a damaged CA can still be
    /// removed before it is made again. What this returns can sign nothing
    /// any store trusts: its key is a throwaway, not the intermediate's.
    public static func rootForRemoval(directory: String) throws(TrustError) -> LocalCA {
        let files = CAFiles(directory: directory)
        try files.checkDirectory()
        let text = try files.text(files.rootPath, secret: false)
        guard let root = try? Certificate(pemEncoded: text) else { throw .damaged(path: files.rootPath, problem: "not a PEM certificate") }
        return LocalCA(files: files, root: root, intermediate: root, key: P256.Signing.PrivateKey())
    }

    /// Loads the CA in `directory`, or makes it when there is none. `created`:
    /// this call made it (false when it was there, or another process made it first).
    public static func loadOrCreate(directory: String, now: Date = Date()) throws(TrustError) -> (ca: LocalCA, created: Bool) {
        do {
            return (try loadChecked(directory: directory), false)
        } catch .noCA {
            let made = try CAMaker.make(now: now)
            let created = try CAFiles(directory: directory).create(root: made.root, intermediate: made.intermediate, key: made.key)
            return (try loadChecked(directory: directory), created)
        }
    }

    /// A certificate for `dnsNames` and `ipAddresses`, valid from an hour ago
    /// for `leafLifetime`, signed by the intermediate: SAN, EKU serverAuth,
    /// key usage digitalSignature, a fresh P-256 key. Refuses (TrustError.notLocal)
    /// any name outside localhost, *.localhost, 127.0.0.0/8 and ::1, although the
    /// constraints would make such a leaf worthless anyway.
    public func issueLeaf(dnsNames: [String], ipAddresses: [String], now: Date) throws -> IssuedLeaf {
        try issueLeafChecked(dnsNames: dnsNames, ipAddresses: ipAddresses, now: now)
    }

    public func issueLeafChecked(dnsNames: [String], ipAddresses: [String], now: Date) throws(TrustError) -> IssuedLeaf {
        var names: [GeneralName] = []
        for n in dnsNames {
            if let why = LocalNames.dnsProblem(n) { throw .notLocal(LeafRefusal(name: n, why: why)) }
            names.append(.dnsName(n.lowercased()))
        }
        for a in ipAddresses {
            switch LocalNames.loopbackBytes(a) {
            case .success(let bytes): names.append(.ipAddress(ASN1OctetString(contentBytes: bytes[...])))
            case .failure(let r): throw .notLocal(r)
            }
        }
        guard !names.isEmpty else { throw .notLocal(LeafRefusal(name: "", why: "a certificate needs at least one name or address")) }
        return try CAMaker.leaf(names: names, issuer: intermediate, issuerKey: key, now: now)
    }

    /// The root in PEM with a final newline, as the trust stores take it (and as `ca.pem` holds it).
    public var rootPEM: String { CAMaker.pem(root) }

    public var rootDER: [UInt8] { CAMaker.der(root) }

    /// SHA-256 of the root's DER, in hex.
    public var fingerprint: String {
        let digits = Array("0123456789abcdef")
        return String(SHA256.hash(data: rootDER).flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// The name this CA has in every store: "portdash local CA 1a2b3c4d" (the
    /// fingerprint's first 8 hex digits, so a new CA never overwrites an old one's entry).
    public var nickname: String { "portdash local CA " + String(fingerprint.prefix(8)) }

    /// The root and intermediate belong together and both carry the constraints: a CA
    /// directory someone edited is refused rather than trusted.
    func checkCoherent() throws(TrustError) {
        for (cert, path) in [(root, files.rootPath), (intermediate, files.intermediatePath)] {
            guard let ext = cert.extensions[oid: .X509ExtensionID.nameConstraints], ext.critical,
                  (try? NameConstraints(ext)) == LocalNames.constraints else {
                throw .damaged(path: path, problem: "it lacks the critical name constraints portdash puts there")
            }
        }
        guard root.publicKey.isValidSignature(intermediate.signature, for: intermediate) else {
            throw .damaged(path: files.intermediatePath, problem: "it is not signed by \(files.rootPath)")
        }
        guard intermediate.publicKey == Certificate.PublicKey(key.publicKey) else {
            throw .damaged(path: files.keyPath, problem: "it is not the key of \(files.intermediatePath)")
        }
    }
}

/// What the router serves for one set of names.
public struct IssuedLeaf: Sendable {
    /// DER certificates, the leaf first, then the intermediate (the root is in the client's store).
    public let chainDER: [[UInt8]]
    /// The leaf's key: PKCS#8, P-256.
    public let privateKeyDER: [UInt8]
    public let notAfter: Date

    /// The chain in PEM (leaf first), for servers that read files.
    public var chainPEM: String {
        chainDER.map { PEMDocument(type: "CERTIFICATE", derBytes: $0).pemString + "\n" }.joined()
    }

    /// The key in PEM ("PRIVATE KEY", PKCS#8).
    public var privateKeyPEM: String { PEMDocument(type: "PRIVATE KEY", derBytes: privateKeyDER).pemString + "\n" }
}
