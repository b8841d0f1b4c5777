import Foundation
import NIOConcurrencyHelpers

/// A `VerifiedTokenCache` behind a lock, for callers that are not pinned to one event loop
/// (the control listener, background tasks). The edge uses one unshared cache per loop instead.
///
/// `@unchecked Sendable` because the cache inside is not Sendable: it is created here, never
/// handed out, and touched only while `lock` is held.
public final class SharedVerifiedTokenCache: @unchecked Sendable {
    private let lock = NIOLock()
    private let cache: VerifiedTokenCache

    public init(capacity: Int = VerifiedTokenCache.defaultCapacity, maximumEntryLifetime: TimeInterval = VerifiedTokenCache.defaultMaximumEntryLifetime) {
        self.cache = VerifiedTokenCache(capacity: capacity, maximumEntryLifetime: maximumEntryLifetime)
    }

    public var count: Int { lock.withLock { cache.count } }

    public func lookup(_ digest: TokenDigest, now: Date = Date()) -> VerifiedToken? {
        lock.withLock { cache.lookup(digest, now: now) }
    }

    public func insert(_ token: VerifiedToken, for digest: TokenDigest, now: Date = Date()) {
        lock.withLock { cache.insert(token, for: digest, now: now) }
    }

    /// Cached, or verified with the cached keys (`TokenVerifier.verifyCached`), or — on a miss
    /// that a key refresh may cure — verified with `TokenVerifier.verify`.
    public func verify(_ token: String, now: Date = Date(), using verifier: TokenVerifier) async -> Result<VerifiedToken, TokenError> {
        guard token.utf8.count <= CompactJWS.maximumByteCount else {
            return .failure(.tooLarge(byteCount: token.utf8.count, limit: CompactJWS.maximumByteCount))
        }
        let digest = TokenDigest(token)
        if let cached = lookup(digest, now: now) { return .success(cached) }
        let result = await verifier.verify(token, now: now)
        if case .success(let verified) = result { insert(verified, for: digest, now: now) }
        return result
    }

    public func removeAll() { lock.withLock { cache.removeAll() } }
}
