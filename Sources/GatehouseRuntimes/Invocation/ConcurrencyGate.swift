import NIOConcurrencyHelpers

/// Bounds how many invocations of one function run at once (`maxConcurrency`) and how many may
/// wait for a slot (`maxQueue`). Beyond both the caller is refused at once: memory stays
/// bounded whatever the offered load, and waiting callers give up at their deadline.
final class ConcurrencyGate: Sendable {
    enum Refusal: Error, Equatable {
        /// Every slot is taken and the queue is full.
        case queueFull
        /// The deadline passed while waiting for a slot.
        case deadlinePassed
    }

    let limit: Int
    let queueLimit: Int

    private struct State {
        var running = 0
        var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
        var nextID = 0
    }
    private let state = NIOLockedValueBox(State())

    init(limit: Int, queueLimit: Int) {
        self.limit = limit
        self.queueLimit = queueLimit
    }

    /// Takes a slot, waiting (up to `deadline`) when all are busy; `release()` gives it back.
    func acquire(deadline: ContinuousClock.Instant) async throws(Refusal) {
        enum Immediate { case granted, refused, wait(Int) }
        let immediate: Immediate = state.withLockedValue { state in
            if state.running < limit {
                state.running += 1
                return .granted
            }
            guard state.waiters.count < queueLimit else { return .refused }
            state.nextID += 1
            return .wait(state.nextID)
        }
        switch immediate {
        case .granted: return
        case .refused: throw .queueFull
        case .wait(let id):
            // A timer resumes the waiter with `false` at the deadline unless a release resumed
            // it first; whoever removes the waiter from the list resumes it, once. The timer
            // starts only once the waiter is listed, so it can never miss it.
            var timer: Task<Void, Never>?
            let granted = await withCheckedContinuation { continuation in
                let resumeNow: Bool = state.withLockedValue { state in
                    // The slot may have been freed between the check above and now.
                    if state.running < limit {
                        state.running += 1
                        return true
                    }
                    state.waiters.append((id, continuation))
                    return false
                }
                if resumeNow {
                    continuation.resume(returning: true)
                } else {
                    timer = Task {
                        try? await Task.sleep(until: deadline, clock: .continuous)
                        self.expire(id)
                    }
                }
            }
            timer?.cancel()
            if !granted { throw .deadlinePassed }
        }
    }

    func release() {
        let next: CheckedContinuation<Bool, Never>? = state.withLockedValue { state in
            if state.waiters.isEmpty {
                state.running -= 1
                return nil
            }
            // The slot passes straight to the first waiter: `running` stays as it is.
            return state.waiters.removeFirst().continuation
        }
        next?.resume(returning: true)
    }

    private func expire(_ id: Int) {
        let expired: CheckedContinuation<Bool, Never>? = state.withLockedValue { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index).continuation
        }
        expired?.resume(returning: false)
    }

    /// For tests and metrics: (running, waiting).
    var load: (running: Int, waiting: Int) {
        state.withLockedValue { ($0.running, $0.waiters.count) }
    }
}
