/// The /events subscribers, each with a bounded queue of SSE frames. A
/// subscriber whose queue is full (a client that stopped reading) is
/// dropped: its stream ends and its connection closes, so memory stays bounded.
actor EventHub {
    struct Subscription: Sendable {
        let id: Int
        let frames: AsyncStream<String>
    }

    private var subscribers: [Int: AsyncStream<String>.Continuation] = [:]
    private var nextID = 0
    private let limit: Int
    private let queue: Int
    /// Subscribers dropped for a full queue since start.
    private(set) var dropped = 0

    init(limit: Int, queue: Int) {
        self.limit = limit
        self.queue = queue
    }

    var count: Int { subscribers.count }

    /// A new subscription, or nil when `limit` clients are subscribed.
    func subscribe() -> Subscription? {
        guard subscribers.count < limit else { return nil }
        let (frames, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingOldest(queue))
        nextID += 1
        let id = nextID
        subscribers[id] = continuation
        continuation.onTermination = { _ in Task { await self.remove(id) } }
        return Subscription(id: id, frames: frames)
    }

    func remove(_ id: Int) {
        subscribers.removeValue(forKey: id)?.finish()
    }

    /// Ends every stream (the server is stopping).
    func finishAll() {
        for id in subscribers.keys { remove(id) }
    }

    /// Queues `frame` for every subscriber; drops those whose queue is full.
    func publish(_ frame: String) {
        for (id, c) in subscribers {
            if case .dropped = c.yield(frame) {
                dropped += 1
                remove(id)
            }
        }
    }
}
