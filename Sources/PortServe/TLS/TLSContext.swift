import NIOCore
import NIOSSL
import NIOHTTP2

/// The one TLS server context of serve's HTTPS listeners: TLS 1.2 and 1.3,
/// ALPN `h2` then `http/1.1`, and the certificate chosen per handshake from
/// its SNI by the CertificateCache (an unknown name fails the handshake).
enum TLSContext {
    static func make(_ cache: CertificateCache) throws -> NIOSSLContext {
        let first = try cache.entry(sni: nil)
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: first.chain, privateKey: first.key)
        config.minimumTLSVersion = .tlsv12
        config.applicationProtocols = NIOHTTP2SupportedALPNProtocols
        config.sslContextCallback = { values, promise in
            do {
                let entry = try cache.entry(sni: values.serverHostname)
                var change = NIOSSLContextConfigurationOverride()
                change.certificateChain = entry.chain
                change.privateKey = entry.key
                promise.succeed(change)
            } catch {
                promise.fail(error)
            }
        }
        return try NIOSSLContext(configuration: config)
    }
}
