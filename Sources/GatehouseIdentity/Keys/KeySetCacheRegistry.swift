import Foundation
import Logging
import NIOConcurrencyHelpers

/// The key set caches of every issuer some verifier trusts, kept across verifier rebuilds.
///
/// The edge rebuilds its verifiers whenever an org's identity providers or routes change; if
/// each rebuild made new caches, every configuration change would forget every issuer's keys
/// and refetch them all. The registry hands out the cache it already has for the same issuer,
/// key source and algorithms, and forgets caches no verifier uses any more (`retain`).
public final class KeySetCacheRegistry: Sendable {
    private struct Key: Hashable {
        var issuer: String
        var keySource: String
        var algorithms: [String]

        init(_ trusted: TrustedIssuer) {
            issuer = trusted.issuer
            switch trusted.keySource {
            case .discovery: keySource = "discovery"
            case .jwksURL(let url): keySource = "jwks " + url
            }
            algorithms = trusted.allowedAlgorithms.map(\.rawValue).sorted()
        }
    }

    private let fetcher: any KeySetFetching
    private let policy: KeySetRefreshPolicy
    private let logger: Logger
    private let caches = NIOLockedValueBox<[Key: KeySetCache]>([:])

    public init(
        fetcher: any KeySetFetching, policy: KeySetRefreshPolicy = KeySetRefreshPolicy(),
        logger: Logger = Logger(label: "gatehouse.identity.keys")
    ) {
        self.fetcher = fetcher
        self.policy = policy
        self.logger = logger
    }

    /// The cache for `trusted`'s keys, made on first use. `fetcher` and `policy` override the
    /// registry's for a new cache (Gatehouse's own issuer serves its keys in process and may
    /// be asked again at once after a rotation).
    public func cache(
        for trusted: TrustedIssuer, fetcher override: (any KeySetFetching)? = nil, policy overridePolicy: KeySetRefreshPolicy? = nil
    ) -> KeySetCache {
        caches.withLockedValue { caches in
            let key = Key(trusted)
            if let existing = caches[key] { return existing }
            let cache = KeySetCache(
                issuer: trusted, fetcher: override ?? fetcher, policy: overridePolicy ?? policy, logger: logger)
            caches[key] = cache
            return cache
        }
    }

    /// Forgets every cache not in `inUse` (by identity).
    public func retain(only inUse: [KeySetCache]) {
        let kept = Set(inUse.map(ObjectIdentifier.init))
        caches.withLockedValue { caches in
            caches = caches.filter { kept.contains(ObjectIdentifier($0.value)) }
        }
    }

    public var count: Int { caches.withLockedValue { $0.count } }

    /// Fetches every key set that is missing or stale, concurrently.
    public func refreshStale(now: Date = Date()) async {
        let stale = caches.withLockedValue { $0.values.filter { $0.needsRefresh(at: now) } }
        await withTaskGroup(of: Void.self) { group in
            for cache in stale {
                group.addTask { await cache.refresh(now: now) }
            }
        }
    }
}
