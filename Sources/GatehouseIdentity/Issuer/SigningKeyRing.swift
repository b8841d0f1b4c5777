import Foundation

/// The current signing key and the retired ones that still verify tokens in circulation.
///
/// A retired key stays published until every token it can have signed has expired: it signed
/// its last token at `retiredAt`, which lives at most the maximum token lifetime, and verifiers
/// allow the clock skew on top.
struct SigningKeyRing: Sendable {
    private(set) var current: SigningKey
    /// Newest first.
    private(set) var retired: [SigningKey]

    init(current: SigningKey, retired: [SigningKey] = []) {
        self.current = current
        self.retired = retired
    }

    /// Every key a verifier may still need at `now`.
    func published(at now: Date, retention: TimeInterval) -> [SigningKey] {
        [current] + retired.filter { !Self.isExpired($0, at: now, retention: retention) }
    }

    /// Makes a new current key; the previous one is retired.
    mutating func rotate(now: Date) -> SigningKey {
        var previous = current
        previous.retiredAt = now
        retired.insert(previous, at: 0)
        current = SigningKey.generate(now: now)
        return current
    }

    /// Forgets retired keys no token in circulation can need; true if any went.
    mutating func prune(at now: Date, retention: TimeInterval) -> Bool {
        let before = retired.count
        retired.removeAll { Self.isExpired($0, at: now, retention: retention) }
        return retired.count != before
    }

    private static func isExpired(_ key: SigningKey, at now: Date, retention: TimeInterval) -> Bool {
        guard let retiredAt = key.retiredAt else { return false }
        return now > retiredAt.addingTimeInterval(retention)
    }
}
