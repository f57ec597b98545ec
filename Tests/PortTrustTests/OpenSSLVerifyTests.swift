import Crypto
import PortKitTestSupport
import SwiftASN1
import Testing
import X509
@testable import PortTrust
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Glibc

/// OpenSSL's own verifier (`openssl verify`) on leaves signed with the CA's
/// key directly, bypassing issueLeaf's check: the constraints in the
/// certificates are what stops them.
@Suite struct OpenSSLVerifyTests {
    static let openssl: String? = ([String](["/usr/bin/openssl", "/bin/openssl"])).first { access($0, X_OK) == 0 }

    /// `openssl verify` of `leaf` (PEM) against the CA: (passed, output).
    static func verify(_ ca: LocalCA, _ leafPEM: String, extraUntrusted: String = "", dir: String) -> (Bool, String) {
        TestSupport.writeFile(dir + "/leaf.pem", leafPEM)
        TestSupport.writeFile(dir + "/untrusted.pem", String(decoding: TestSupport.readFile(ca.files.intermediatePath) ?? [], as: UTF8.self) + extraUntrusted)
        let r = TestSupport.runCommand([openssl!, "verify", "-CAfile", ca.files.rootPath, "-untrusted", dir + "/untrusted.pem", dir + "/leaf.pem"])
        return (r.status == 0, r.stdout + r.stderr)
    }

    static func pem(_ cert: Certificate) -> String { CAMaker.pem(cert) }

    @Test("OpenSSL accepts a leaf for web.shop.localhost and 127.0.0.1, and refuses example.com and 10.0.0.1 signed with the CA key",
          .enabled(if: openssl != nil, "openssl is not installed"))
    func constraintsHold() throws {
        let base = TestSupport.temporaryDirectory("portdash-ca")
        defer { TestSupport.removeTree(base) }
        let ca = try LocalCA.loadOrCreate(directory: base + "/ca").ca
        let good = try ca.issueLeafChecked(dnsNames: ["web.shop.localhost"], ipAddresses: ["127.0.0.1"], now: Date())
        let ok = Self.verify(ca, Self.pem(try Certificate(derEncoded: good.chainDER[0])), dir: base)
        #expect(ok.0, "\(ok.1)")
        for name in [GeneralName.dnsName("example.com"), .dnsName("localhost.example.com"),
                     .ipAddress(ASN1OctetString(contentBytes: [10, 0, 0, 1]))] {
            let bad = try CAMaker.leaf(names: [name], issuer: ca.intermediate, issuerKey: ca.key, now: Date())
            let r = Self.verify(ca, Self.pem(try Certificate(derEncoded: bad.chainDER[0])), dir: base)
            #expect(!r.0 && r.1.contains("permitted subtree violation"), "\(name): \(r.1)")
        }
    }

    @Test("a CA the on-disk key signs itself (no constraints of its own) cannot sign example.com either",
          .enabled(if: openssl != nil, "openssl is not installed"))
    func rogueSubCA() throws {
        let base = TestSupport.temporaryDirectory("portdash-ca")
        defer { TestSupport.removeTree(base) }
        let ca = try LocalCA.loadOrCreate(directory: base + "/ca").ca
        let rogueKey = P256.Signing.PrivateKey()
        let rogueName = try DistinguishedName { CommonName("rogue") }
        let rogue = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(rogueKey.publicKey),
            notValidBefore: Date() - 60, notValidAfter: Date() + 86400, issuer: ca.intermediate.subject, subject: rogueName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: nil))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(ca.key))
        let leaf = try CAMaker.leaf(names: [.dnsName("example.com")], issuer: rogue, issuerKey: rogueKey, now: Date())
        let r = Self.verify(ca, Self.pem(try Certificate(derEncoded: leaf.chainDER[0])), extraUntrusted: Self.pem(rogue), dir: base)
        #expect(!r.0, "\(r.1)")
        // Even for a localhost name: the intermediate's path length (0) allows no CA below it.
        let local = try CAMaker.leaf(names: [.dnsName("web.localhost")], issuer: rogue, issuerKey: rogueKey, now: Date())
        let l = Self.verify(ca, Self.pem(try Certificate(derEncoded: local.chainDER[0])), extraUntrusted: Self.pem(rogue), dir: base)
        #expect(!l.0 && l.1.contains("path length"), "\(l.1)")
    }
}
