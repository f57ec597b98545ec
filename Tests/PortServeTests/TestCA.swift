@preconcurrency import Crypto
import Glibc
import PortServe
import SwiftASN1
import Synchronization
import X509
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The tests' stand-in for `portdash trust`'s CA: a P-256 root made in
/// memory, issuing leaves for the names the router asks for, `lifetime`
/// seconds long. Counts what it issued.
final class TestCA: CertificateIssuer, Sendable {
    let key = P256.Signing.PrivateKey()
    let certificate: Certificate
    let lifetime: Double
    private let log = Mutex<[[String]]>([])
    /// The names of each leaf issued, in order.
    var issued: [[String]] { log.withLock { $0 } }

    init(lifetime: Double = 3600) throws {
        self.lifetime = lifetime
        let name = try DistinguishedName { CommonName("portdash test CA") }
        let now = Date()
        certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 86400, issuer: name, subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(key))
    }

    var pem: String { (try? certificate.serializeAsPEM().pemString) ?? "" }

    func issue(dnsNames: [String], ipAddresses: [String], now: Double) throws -> IssuedCertificate {
        log.withLock { $0.append(dnsNames + ipAddresses) }
        let leafKey = P256.Signing.PrivateKey()
        let start = Date(timeIntervalSince1970: now)
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for ip in ipAddresses {
            let v6 = ip.contains(":")
            var raw = [UInt8](repeating: 0, count: v6 ? 16 : 4)
            _ = inet_pton(v6 ? AF_INET6 : AF_INET, ip, &raw)
            names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(raw))))
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(leafKey.publicKey),
            notValidBefore: start - 60, notValidAfter: start + lifetime, issuer: certificate.subject,
            subject: try DistinguishedName { CommonName(dnsNames.first ?? "localhost") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(key))
        var serializer = DER.Serializer()
        try serializer.serialize(leaf)
        return IssuedCertificate(chainDER: [serializer.serializedBytes], privateKeyDER: Array(leafKey.derRepresentation),
                                 notAfter: now + lifetime)
    }
}
