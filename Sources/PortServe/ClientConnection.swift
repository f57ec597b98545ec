import FlyingSocks
import PortKit
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One client: request heads read within the limits, one response each
/// (keep-alive on HTTP/1.1), or an event stream until the client or the
/// server goes. Every write must finish within `limits.writeSeconds`.
struct ClientConnection: Sendable {
    let socket: AsyncSocket
    let router: Router
    let limits: ServeLimits

    func serve() async {
        var reader = HeadReader(socket: socket, limits: limits)
        requests: while !Task.isCancelled {
            let head: RequestHead
            do {
                guard let next = try await reader.next() else { break requests }
                head = next
            } catch {
                try? await send(error.response.encoded(headOnly: false, close: true))
                break requests
            }
            switch await router.reply(to: head) {
            case .response(let r):
                // After an error the rest of the input is not trusted: close.
                let close = !head.keepAlive || r.status >= 400
                do { try await send(r.encoded(headOnly: head.method == "HEAD", close: close)) } catch { break requests }
                if close { break requests }
            case .events(let subscription):
                await stream(subscription)
                break requests
            }
        }
        try? socket.close()
    }

    /// A 503 for a connection over the limit: its request head is read (so
    /// the answer is not lost to a reset), then it is closed.
    func refuse() async {
        var reader = HeadReader(socket: socket, limits: limits)
        if (try? await reader.next()) != nil {
            let r = Response.error(503, "too many connections (at most \(limits.connections)); try again later")
            try? await send(r.encoded(headOnly: false, close: true))
        }
        try? socket.close()
    }

    /// Writes SSE frames until the subscription ends (dropped, or the server
    /// stops) or a write fails or stalls (the client left or stopped reading).
    func stream(_ subscription: EventHub.Subscription) async {
        let head = Response.head(status: 200, contentType: Response.eventStream, bodyLength: nil, close: true, extra: [])
        do {
            try await send(Array((head + ": portdash events; one 'port' event per change\n\n").utf8))
            for await frame in subscription.frames {
                try await send(Array(frame.utf8))
            }
        } catch {}
        await router.hub.remove(subscription.id)
    }

    func send(_ bytes: [UInt8]) async throws {
        let socket = self.socket
        let data = Data(bytes)
        try await withTimeout(limits.writeSeconds) { try await socket.write(data) }
    }
}
