import PortServe
import PortTrust
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `portdash trust`'s CA as the router's certificate issuer.
struct LocalCAIssuer: CertificateIssuer {
    let ca: LocalCA

    func issue(dnsNames: [String], ipAddresses: [String], now: Double) throws -> IssuedCertificate {
        let leaf = try ca.issueLeaf(dnsNames: dnsNames, ipAddresses: ipAddresses, now: Date(timeIntervalSince1970: now))
        return IssuedCertificate(chainDER: leaf.chainDER, privateKeyDER: leaf.privateKeyDER, notAfter: leaf.notAfter.timeIntervalSince1970)
    }

    /// The CA `portdash trust` made, checked by issuing the default certificate once; the CA's own line when it cannot.
    static func load() -> Result<any CertificateIssuer, ServeError> {
        do {
            let issuer = LocalCAIssuer(ca: try LocalCA.load(directory: LocalCA.defaultDirectory))
            _ = try issuer.issue(dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], now: Date().timeIntervalSince1970)
            return .success(issuer)
        } catch {
            return .failure(.noCertificates(String(describing: error)))
        }
    }
}
