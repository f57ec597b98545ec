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

/// Builds the certificates (swift-certificates, keys from swift-crypto; no
/// openssl): the root and intermediate once, leaves on demand.
enum CAMaker {
    /// A new root (self-signed) and intermediate, in PEM, and the
    /// intermediate's key. The root's key goes out of scope here: it has
    /// signed its two certificates and is never stored.
    static func make(now: Date) throws(TrustError) -> (root: String, intermediate: String, key: String) {
        let rootKey = P256.Signing.PrivateKey()
        let intermediateKey = P256.Signing.PrivateKey()
        let rootName = name("portdash local CA (\(whoAmI()))")
        let intermediateName = name("portdash local CA intermediate (\(whoAmI()))")
        do {
            let root = try caCertificate(subject: rootName, key: rootKey.publicKey, issuer: rootName, issuerKey: rootKey, pathLength: 1, now: now)
            let intermediate = try caCertificate(subject: intermediateName, key: intermediateKey.publicKey, issuer: rootName,
                                                 issuerKey: rootKey, pathLength: 0, now: now)
            return (pem(root), pem(intermediate), intermediateKey.pemRepresentation + "\n")
        } catch {
            throw .signing(String(describing: error))
        }
    }

    /// A CA certificate for `key`, signed by `issuerKey`, valid from an hour ago for `caLifetime`.
    static func caCertificate(subject: DistinguishedName, key: P256.Signing.PublicKey, issuer: DistinguishedName,
                              issuerKey: P256.Signing.PrivateKey, pathLength: Int, now: Date) throws -> Certificate {
        let publicKey = Certificate.PublicKey(key)
        return try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now - LocalCA.backdate, notValidAfter: now + LocalCA.caLifetime,
            issuer: issuer, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try caExtensions(subject: publicKey, issuer: Certificate.PublicKey(issuerKey.publicKey), pathLength: pathLength),
            issuerPrivateKey: Certificate.PrivateKey(issuerKey))
    }

    /// A CA's extensions: critical basic constraints (CA, path length),
    /// critical key usage (certificate and CRL signing), critical name
    /// constraints, the key identifiers.
    static func caExtensions(subject: Certificate.PublicKey, issuer: Certificate.PublicKey, pathLength: Int) throws -> Certificate.Extensions {
        try Certificate.Extensions {
            Critical(BasicConstraints.isCertificateAuthority(maxPathLength: pathLength))
            Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            Critical(LocalNames.constraints)
            SubjectKeyIdentifier(hash: subject)
            if subject != issuer { AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: issuer).keyIdentifier) }
        }
    }

    static func leaf(names: [GeneralName], issuer: Certificate, issuerKey: P256.Signing.PrivateKey, now: Date) throws(TrustError) -> IssuedLeaf {
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let notAfter = min(now + LocalCA.leafLifetime, issuer.notValidAfter)
        do {
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                SubjectKeyIdentifier(hash: publicKey)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: issuer.publicKey).keyIdentifier)
            }
            // The subject is not a host name (it has spaces): OpenSSL checks a
            // host-like CN against the DNS constraints when a leaf has only IP names.
            let cert = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
                notValidBefore: now - LocalCA.backdate, notValidAfter: notAfter,
                issuer: issuer.subject, subject: name("portdash localhost certificate"), signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: Certificate.PrivateKey(issuerKey))
            return IssuedLeaf(chainDER: [der(cert), der(issuer)], privateKeyDER: Array(key.derRepresentation), notAfter: cert.notValidAfter)
        } catch {
            throw .signing(String(describing: error))
        }
    }

    static func name(_ common: String) -> DistinguishedName {
        (try? DistinguishedName {
            OrganizationName("portdash")
            CommonName(common)
        }) ?? DistinguishedName()
    }

    /// PEM with a final newline: bundles are made by concatenating files.
    static func pem(_ cert: Certificate) -> String {
        ((try? cert.serializeAsPEM().pemString) ?? "") + "\n"
    }

    static func der(_ cert: Certificate) -> [UInt8] {
        var serializer = DER.Serializer()
        try? serializer.serialize(cert)
        return serializer.serializedBytes
    }

    /// "me@host": which machine and user a CA in a store belongs to.
    static func whoAmI() -> String {
        var host = [CChar](repeating: 0, count: 256)
        gethostname(&host, host.count - 1)
        let user = getpwuid(geteuid()).map { String(cString: $0.pointee.pw_name) } ?? "uid \(geteuid())"
        return user + "@" + stringFromCBuffer(host)
    }
}
