import Foundation
import Logging
import NIOConcurrencyHelpers

/// One trusted issuer's key set: read synchronously by verifications, refreshed in the
/// background, at most once per `minimumInterval`.
///
/// A refresh that fails (network, bad document, no usable key) keeps the previous keys, so an
/// issuer's outage does not lock its users out while their tokens are still valid. Concurrent
/// refresh requests join the one running; requests within the interval after one started are
/// refused — a flood of unknown `kid`s costs the issuer at most one fetch per interval.
public final class KeySetCache: Sendable {
    public let issuer: TrustedIssuer
    public let policy: KeySetRefreshPolicy
    private let fetcher: any KeySetFetching
    private let logger: Logger
    private let state: NIOLockedValueBox<State>

    private struct State {
        var keySet: KeySet?
        var lastAttempt: Date?
        var running: Task<RefreshOutcome, Never>?
    }

    public enum RefreshOutcome: Sendable, Equatable {
        /// A new key set replaced the previous one.
        case refreshed(keyCount: Int)
        /// The fetch or the document failed; the previous keys (if any) stay.
        case failed(KeySetRefreshError)
        /// A fetch started less than `minimumInterval` ago; nothing was done.
        case rateLimited
    }

    public init(
        issuer: TrustedIssuer, fetcher: any KeySetFetching, policy: KeySetRefreshPolicy = KeySetRefreshPolicy(),
        logger: Logger = Logger(label: "gatehouse.identity.keys")
    ) {
        self.issuer = issuer
        self.fetcher = fetcher
        self.policy = policy
        self.logger = logger
        self.state = NIOLockedValueBox(State())
    }

    /// The current keys, nil until a fetch has succeeded. One uncontended lock, no suspension.
    public var keySet: KeySet? {
        state.withLockedValue { $0.keySet }
    }

    /// Whether a refresh is due: never fetched, or past the set's lifetime.
    public func needsRefresh(at now: Date) -> Bool {
        keySet.map { $0.isStale(at: now) } ?? true
    }

    /// Fetches the key set again, unless a fetch is running (then waits for that one) or one
    /// started less than `minimumInterval` before `now`.
    ///
    /// `knownChanged` skips the interval, for a caller that knows the keys changed (Gatehouse
    /// rotated its own key); a running fetch is still joined rather than doubled.
    @discardableResult
    public func refresh(now: Date = Date(), knownChanged: Bool = false) async -> RefreshOutcome {
        let running: Task<RefreshOutcome, Never>? = state.withLockedValue { state in
            if let running = state.running { return running }
            if !knownChanged, let last = state.lastAttempt, now < last.addingTimeInterval(policy.minimumInterval),
                now >= last  // a clock that went backwards does not block refreshes for good
            {
                return nil
            }
            state.lastAttempt = now
            let task = Task { await self.fetchAndReplace(now: now) }
            state.running = task
            return task
        }
        guard let running else { return .rateLimited }
        return await running.value
    }

    private func fetchAndReplace(now: Date) async -> RefreshOutcome {
        let outcome = await fetchKeySet(now: now)
        state.withLockedValue { state in
            if case .success(let keySet) = outcome { state.keySet = keySet }
            state.running = nil
        }
        switch outcome {
        case .success(let keySet):
            logger.debug("key set refreshed", metadata: ["issuer": "\(issuer.issuer)", "keys": "\(keySet.count)"])
            return .refreshed(keyCount: keySet.count)
        case .failure(let error):
            logger.warning(
                "key set refresh failed; keeping the previous keys",
                metadata: ["issuer": "\(issuer.issuer)", "error": "\(error)"])
            return .failed(error)
        }
    }

    private func fetchKeySet(now: Date) async -> Result<KeySet, KeySetRefreshError> {
        let fetched: FetchedKeySet
        do {
            fetched = try await fetcher.fetchKeySet(for: issuer)
        } catch {
            return .failure(.fetch(error))
        }
        let parsed: JWKSParser.Parsed
        do {
            parsed = try await JWKSParser.parse(fetched.document, allowedAlgorithms: issuer.allowedAlgorithms)
        } catch {
            return .failure(error)
        }
        for skipped in parsed.skipped {
            logger.debug("key skipped", metadata: ["issuer": "\(issuer.issuer)", "reason": "\(skipped)"])
        }
        guard !parsed.keys.isEmpty else { return .failure(.noUsableKeys(skipped: parsed.skipped.count)) }
        let lifetime = policy.lifetime(maxAge: fetched.maxAge)
        return .success(KeySet(keys: parsed.keys, fetchedAt: now, expiresAt: now.addingTimeInterval(lifetime)))
    }
}
