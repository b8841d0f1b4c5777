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
/// Bounded: at most `capacity` entries (`ExpiringClockCache`). An entry is valid until the
/// token's `exp` or `maximumEntryLifetime` after it was stored, whichever comes first; the
/// second bound limits how long a cached verdict outlives a change of the trusted issuers.
/// A cache belongs to one `TokenVerifier`: when the verifier is replaced, so is its cache.
public final class VerifiedTokenCache {
    public static let defaultCapacity = 10_000
    public static let defaultMaximumEntryLifetime: TimeInterval = 300

    public let capacity: Int
    public let maximumEntryLifetime: TimeInterval

    private let entries: ExpiringClockCache<TokenDigest, VerifiedToken>

    public init(capacity: Int = VerifiedTokenCache.defaultCapacity, maximumEntryLifetime: TimeInterval = VerifiedTokenCache.defaultMaximumEntryLifetime) {
        self.entries = ExpiringClockCache(capacity: capacity)
        self.capacity = entries.capacity
        self.maximumEntryLifetime = maximumEntryLifetime
    }

    public var count: Int { entries.count }

    /// The verified token, if it is cached and still valid at `now`.
    public func lookup(_ digest: TokenDigest, now: Date) -> VerifiedToken? {
        entries.lookup(digest, now: now)
    }

    public func insert(_ token: VerifiedToken, for digest: TokenDigest, now: Date) {
        entries.insert(token, for: digest, validUntil: min(token.expiresAt, now.addingTimeInterval(maximumEntryLifetime)), now: now)
    }

    /// Looks the token up and, on a miss, verifies it with `verifier.verifyCached` and stores a
    /// success. Failures are not cached: they are cheap to find again, and caching them would
    /// let a refreshed key set be ignored.
    ///
    /// `scope` keys the entry by more than the token: the edge verifies with one verifier per
    /// org, so it caches a token's verdict per org (a token one org trusts is not thereby
    /// trusted by another).
    public func verify(
        _ token: String, scope: String = "", now: Date = Date(), using verifier: TokenVerifier
    ) -> Result<VerifiedToken, TokenError> {
        // Refused before hashing, so an oversized token costs nothing here either.
        guard token.utf8.count <= CompactJWS.maximumByteCount else {
            return .failure(.tooLarge(byteCount: token.utf8.count, limit: CompactJWS.maximumByteCount))
        }
        return verify(token, digest: TokenDigest(token, scope: scope), now: now, using: verifier)
    }

    /// As `verify(_:scope:now:using:)`, for a caller that has the digest already.
    public func verify(
        _ token: String, digest: TokenDigest, now: Date = Date(), using verifier: TokenVerifier
    ) -> Result<VerifiedToken, TokenError> {
        if let cached = lookup(digest, now: now) { return .success(cached) }
        let result = verifier.verifyCached(token, now: now)
        if case .success(let verified) = result { insert(verified, for: digest, now: now) }
        return result
    }

    public func removeAll() { entries.removeAll() }
}

@available(*, unavailable, message: "keep one VerifiedTokenCache per event loop; share SharedVerifiedTokenCache instead")
extension VerifiedTokenCache: Sendable {}
