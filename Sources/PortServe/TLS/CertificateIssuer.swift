/// Who signs the router's certificates: `portdash trust`'s local CA (the
/// serve binary adapts PortTrust's LocalCA to this), or a test's own CA.
/// PortServe never sees a CA key.
public protocol CertificateIssuer: Sendable {
    /// A leaf for these names, valid from `now` (seconds since 1970) for the issuer's short lifetime.
    func issue(dnsNames: [String], ipAddresses: [String], now: Double) throws -> IssuedCertificate
}

public struct IssuedCertificate: Sendable {
    /// DER, the leaf first.
    public let chainDER: [[UInt8]]
    /// PKCS#8 DER of the leaf's P-256 key.
    public let privateKeyDER: [UInt8]
    /// Seconds since 1970.
    public let notAfter: Double

    public init(chainDER: [[UInt8]], privateKeyDER: [UInt8], notAfter: Double) {
        self.chainDER = chainDER
        self.privateKeyDER = privateKeyDER
        self.notAfter = notAfter
    }
}
