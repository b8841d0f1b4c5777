import Foundation

/// Remembers verified tokens by the SHA-256 of the token, so a client sending the same bearer
/// token again costs a hash and a dictionary lookup instead of a signature check.
///
/// **Not Sendable, on purpose.** The edge keeps one cache per event loop and touches it only
/// from that loop, so a lookup takes no lock and no atomic: with a shared cache, every request
/// on every core would contend for one lock on the hottest path there is. The price is that a
/// token is verified once per loop it arrives on, which is a handful of signature checks per
/// token lifetime. Code that is not pinned to a loop uses `SharedVerifiedTokenCache`.
///
/// Bounded: at most `capacity` entries, evicted by the CLOCK algorithm (an approximation of LRU
/// whose hits only set a bit, so a hit never reorders anything). An entry is valid until the
/// token's `exp` or `maximumEntryLifetime` after it was stored, whichever comes first; the
/// second bound limits how long a cached verdict outlives a change of the trusted issuers.
/// A cache belongs to one `TokenVerifier`: when the verifier is replaced, so is its cache.
public final class VerifiedTokenCache {
    public static let defaultCapacity = 10_000
    public static let defaultMaximumEntryLifetime: TimeInterval = 300

    public let capacity: Int
    public let maximumEntryLifetime: TimeInterval

    private struct Entry {
        var digest: TokenDigest
        var token: VerifiedToken
        var validUntil: Date
        var referenced: Bool
    }

    private var slotOf: [TokenDigest: Int] = [:]
    private var slots: [Entry?] = []
    private var freeSlots: [Int] = []
    private var hand = 0

    public init(capacity: Int = VerifiedTokenCache.defaultCapacity, maximumEntryLifetime: TimeInterval = VerifiedTokenCache.defaultMaximumEntryLifetime) {
        self.capacity = max(1, capacity)
        self.maximumEntryLifetime = maximumEntryLifetime
        slotOf.reserveCapacity(self.capacity)
    }

    public var count: Int { slotOf.count }

    /// The verified token, if it is cached and still valid at `now`.
    public func lookup(_ digest: TokenDigest, now: Date) -> VerifiedToken? {
        guard let slot = slotOf[digest], let entry = slots[slot] else { return nil }
        guard now < entry.validUntil else {
            remove(slot: slot, digest: digest)
            return nil
        }
        slots[slot]?.referenced = true
        return entry.token
    }

    public func insert(_ token: VerifiedToken, for digest: TokenDigest, now: Date) {
        let validUntil = min(token.expiresAt, now.addingTimeInterval(maximumEntryLifetime))
        guard now < validUntil else { return }
        let entry = Entry(digest: digest, token: token, validUntil: validUntil, referenced: false)
        if let slot = slotOf[digest] {
            slots[slot] = entry
        } else if let slot = freeSlots.popLast() {
            place(entry, at: slot)
        } else if slots.count < capacity {
            slots.append(nil)
            place(entry, at: slots.count - 1)
        } else {
            place(entry, at: evictOne())
        }
    }

    /// Looks the token up and, on a miss, verifies it with `verifier.verifyCached` and stores a
    /// success. Failures are not cached: they are cheap to find again, and caching them would
    /// let a refreshed key set be ignored.
    public func verify(_ token: String, now: Date = Date(), using verifier: TokenVerifier) -> Result<VerifiedToken, TokenError> {
        // Refused before hashing, so an oversized token costs nothing here either.
        guard token.utf8.count <= CompactJWS.maximumByteCount else {
            return .failure(.tooLarge(byteCount: token.utf8.count, limit: CompactJWS.maximumByteCount))
        }
        let digest = TokenDigest(token)
        if let cached = lookup(digest, now: now) { return .success(cached) }
        let result = verifier.verifyCached(token, now: now)
        if case .success(let verified) = result { insert(verified, for: digest, now: now) }
        return result
    }

    public func removeAll() {
        slotOf.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
        freeSlots.removeAll()
        hand = 0
    }

    private func place(_ entry: Entry, at slot: Int) {
        slots[slot] = entry
        slotOf[entry.digest] = slot
    }

    private func remove(slot: Int, digest: TokenDigest) {
        slots[slot] = nil
        slotOf[digest] = nil
        freeSlots.append(slot)
    }

    /// Frees the first slot the hand finds unreferenced, clearing reference bits on the way.
    /// Ends within two sweeps: the first sweep clears every bit it passes.
    private func evictOne() -> Int {
        while true {
            let slot = hand
            hand = (hand + 1) % slots.count
            guard let entry = slots[slot] else { return slot }
            if entry.referenced {
                slots[slot]?.referenced = false
            } else {
                slotOf[entry.digest] = nil
                slots[slot] = nil
                return slot
            }
        }
    }
}

@available(*, unavailable, message: "keep one VerifiedTokenCache per event loop; share SharedVerifiedTokenCache instead")
extension VerifiedTokenCache: Sendable {}
