import Synchronization

/// Fans committed revisions out to every `revisions()` subscriber.
///
/// The current revision and the subscriber list share one lock, so a new subscriber gets the
/// current revision first and then every later one, never an older one, and a revision
/// published concurrently with a subscription is neither lost nor delivered twice.
final class RevisionBroadcaster: Sendable {
    /// Revisions a slow subscriber may have pending. Each revision supersedes the ones before it
    /// (a subscriber rereads the store), so when this overflows the oldest pending are dropped.
    static let bufferedRevisions = 1024

    private struct State {
        var current: Int64
        var nextID = 0
        var subscribers: [Int: AsyncStream<Int64>.Continuation] = [:]
        var finished = false
    }

    private let state: Mutex<State>

    init(current: Int64) {
        state = Mutex(State(current: current))
    }

    func subscribe() -> AsyncStream<Int64> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Int64.self, bufferingPolicy: .bufferingNewest(Self.bufferedRevisions))
        let id: Int? = state.withLock { state in
            guard !state.finished else { return nil }
            let id = state.nextID
            state.nextID += 1
            state.subscribers[id] = continuation
            continuation.yield(state.current)
            return id
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        // The caller has not seen the stream yet, so nothing but `finish()` (which removes the
        // entry itself) can end it before the handler is in place.
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in _ = state.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Tells every subscriber of `revision`, unless it is not newer than the last one told.
    func publish(_ revision: Int64) {
        state.withLock { state in
            guard revision > state.current else { return }
            state.current = revision
            for continuation in state.subscribers.values { continuation.yield(revision) }
        }
    }

    /// How many streams are open (for tests).
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Ends every stream, present and future (the store was closed).
    func finish() {
        let subscribers = state.withLock { state in
            state.finished = true
            defer { state.subscribers = [:] }
            return Array(state.subscribers.values)
        }
        // Outside the lock: finishing runs each stream's onTermination, which takes the lock.
        for continuation in subscribers { continuation.finish() }
    }
}
