import Foundation
import NIOConcurrencyHelpers

/// Remembers the `jti` of every accepted assertion until it expires, so a captured assertion
/// cannot be exchanged for a token a second time (RFC 7523 §3, item 7).
///
/// Bounded. When full of unexpired entries it refuses new assertions rather than forget old
/// ones: forgetting would reopen the replay window of whatever was evicted. With assertions
/// living at most an hour, reaching the bound takes that many distinct, validly signed
/// assertions within the hour.
public final class AssertionReplayCache: Sendable {
    public static let defaultCapacity = 100_000

    public enum Outcome: Sendable, Equatable {
        case firstUse
        case replayed
        case full
    }

    public let capacity: Int
    private let state: NIOLockedValueBox<State>

    private struct State {
        /// Keys are SHA-256 of issuer and jti: fixed size, whatever length a client sends.
        var entries: [TokenDigest: Date] = [:]
        /// A sweep for expired entries walks the whole table, so a full cache sweeps at most
        /// once a second rather than on every refused assertion.
        var lastSweep: Date = .distantPast
    }

    public init(capacity: Int = AssertionReplayCache.defaultCapacity) {
        self.capacity = max(1, capacity)
        self.state = NIOLockedValueBox(State())
    }

    public var count: Int { state.withLockedValue { $0.entries.count } }

    /// Records the assertion as used until `until`, unless it was used already.
    public func record(tokenID: String, issuer: String, until: Date, now: Date) -> Outcome {
        let key = TokenDigest(issuer + "\u{0}" + tokenID)
        return state.withLockedValue { state in
            if let expiry = state.entries[key], expiry > now { return .replayed }
            if state.entries.count >= capacity {
                guard abs(now.timeIntervalSince(state.lastSweep)) >= 1 else { return .full }
                state.lastSweep = now
                state.entries = state.entries.filter { $0.value > now }
                guard state.entries.count < capacity else { return .full }
            }
            state.entries[key] = until
            return .firstUse
        }
    }
}
