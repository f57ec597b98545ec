import NIOCore
import PortKit

/// The first bytes on an HTTPS port. A TLS client starts with a handshake
/// record (content type 22, RFC 8446 §5.1); a plain HTTP request starts
/// with its method's capital letter, and gets a 400 that names the https
/// URL (as nginx answers "The plain HTTP request was sent to HTTPS port")
/// instead of a connection closed without a word. Removes itself after the
/// first read either way.
final class PlainHTTPGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let origin: RouterOrigin

    init(origin: RouterOrigin) { self.origin = origin }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard let first = bytes.getInteger(at: bytes.readerIndex, as: UInt8.self), first >= UInt8(ascii: "A"), first <= UInt8(ascii: "Z") else {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        let body = "this port speaks HTTPS: use \(origin.url(host: "localhost")) (or a name's https:// URL)\n"
        let text = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n" + body
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
