import NIOCore
import NIOPosix
import NIOSSL
import PortTrust
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `trust --check`'s throwaway TLS server: 127.0.0.1 on a port the kernel
/// picks, a leaf from the CA for `trust-check.localhost` and 127.0.0.1
/// (served with its intermediate), answering any request with one short
/// HTTP/1.1 200 and closing. It lives for one `--check`.
final class CheckServer: Sendable {
    static let name = "trust-check.localhost"
    static let body = "portdash trust check\n"

    let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    private init(port: Int, group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.port = port; self.group = group; self.channel = channel
    }

    static func start(_ ca: LocalCA) throws -> CheckServer {
        let leaf = try ca.issueLeaf(dnsNames: [name], ipAddresses: ["127.0.0.1"], now: Date())
        let chain = try leaf.chainDER.map { try NIOSSLCertificate(bytes: $0, format: .der) }
        let key = try NIOSSLPrivateKey(bytes: leaf.privateKeyDER, format: .der)
        let tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let channel = try ServerBootstrap(group: group)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                        try channel.pipeline.syncOperations.addHandler(Answer())
                    }
                }
                .bind(host: "127.0.0.1", port: 0).wait()
            return CheckServer(port: channel.localAddress?.port ?? 0, group: group, channel: channel)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    var url: String { "https://\(CheckServer.name):\(port)/" }

    func stop() {
        try? channel.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Any bytes from the client: the answer, then close.
    final class Answer: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var answered = false

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard !answered else { return }
            answered = true
            let text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: \(CheckServer.body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n" + CheckServer.body
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).assumeIsolated()
                .whenComplete { _ in context.close(promise: nil) }
        }

        /// A client that refuses the certificate ends the handshake with an alert: nothing to do but close.
        func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
    }
}
