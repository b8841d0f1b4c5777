import Foundation
import Logging

/// Verifies bearer tokens (JWS compact serialization) from trusted issuers, with the RFC 8725
/// hardening: asymmetric algorithms only and only those allowed per issuer and per key, no
/// keys or key URLs from the token, no `crit` extensions, bounded size, `typ` checked, `iss`
/// exact, `aud` required, `exp`/`nbf`/`iat` checked with a bounded clock skew.
///
/// `verifyCached` never suspends and never fetches: it works on the keys already cached, so the
/// edge can call it on its event loop. `verify` may refresh the issuer's keys first (rate
/// limited per issuer) and retries once when a key was unknown.
public final class TokenVerifier: Sendable {
    private let caches: [String: KeySetCache]

    public init(
        issuers: [TrustedIssuer], fetcher: any KeySetFetching, policy: KeySetRefreshPolicy = KeySetRefreshPolicy(),
        logger: Logger = Logger(label: "gatehouse.identity.keys")
    ) throws(TrustedIssuerError) {
        var caches: [String: KeySetCache] = [:]
        for issuer in issuers {
            guard caches[issuer.issuer] == nil else { throw .duplicateIssuer(issuer: issuer.issuer) }
            caches[issuer.issuer] = KeySetCache(issuer: issuer, fetcher: fetcher, policy: policy, logger: logger)
        }
        self.caches = caches
    }

    public var issuers: [TrustedIssuer] { caches.values.map(\.issuer).sorted { $0.issuer < $1.issuer } }

    /// The key set cache of one issuer, for warming up and for health reporting.
    public func keySetCache(for issuer: String) -> KeySetCache? { caches[issuer] }

    /// Fetches every issuer's keys that are missing or stale (e.g. at start-up, or on a timer).
    public func refreshStaleKeySets(now: Date = Date()) async {
        await withTaskGroup(of: Void.self) { group in
            for cache in caches.values where cache.needsRefresh(at: now) {
                group.addTask { await cache.refresh(now: now) }
            }
        }
    }

    /// Refreshes stale key sets every `interval` until the calling task is cancelled. Something
    /// must: `verifyCached`, which the edge uses, never fetches.
    public func keepKeySetsFresh(checkingEvery interval: Duration = .seconds(30)) async {
        while !Task.isCancelled {
            await refreshStaleKeySets()
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }

    /// Verifies with the keys already cached; never suspends, never fetches.
    public func verifyCached(_ token: String, now: Date = Date()) -> Result<VerifiedToken, TokenError> {
        switch prepare(token) {
        case .failure(let error): return .failure(error)
        case .success(let prepared): return verify(prepared, now: now)
        }
    }

    /// Verifies, fetching the issuer's keys when there are none yet or they lack the token's key
    /// (at most one fetch per issuer per refresh interval), then trying once more. Stale keys
    /// are refreshed in the background while this verification uses them.
    public func verify(_ token: String, now: Date = Date()) async -> Result<VerifiedToken, TokenError> {
        let prepared: Prepared
        switch prepare(token) {
        case .failure(let error): return .failure(error)
        case .success(let value): prepared = value
        }
        let cache = prepared.cache
        if cache.keySet == nil {
            await cache.refresh(now: now)
        } else if cache.needsRefresh(at: now) {
            Task { await cache.refresh(now: now) }
        }
        let first = verify(prepared, now: now)
        guard case .failure(let error) = first, error.isCuredByKeyRefresh else { return first }
        if case .rateLimited = await prepared.cache.refresh(now: now) { return first }
        return verify(prepared, now: now)
    }

    /// A parsed token whose header passed the checks and whose issuer is trusted.
    private struct Prepared {
        var jws: CompactJWS
        var cache: KeySetCache
        var algorithm: SignatureAlgorithm
    }

    /// Everything that needs no key: size, shape, header rules, trusted issuer, allowed alg.
    private func prepare(_ token: String) -> Result<Prepared, TokenError> {
        let jws: CompactJWS
        switch CompactJWS.parse(token) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): jws = parsed
        }
        // The issuer is read before the signature is checked only to choose whose keys to
        // check it with; nothing else of the payload is believed until then.
        guard let issuerValue = jws.claims["iss"] else { return .failure(.missingClaim(name: "iss")) }
        guard let issuer = issuerValue.stringValue else { return .failure(.malformed(.memberType(name: "iss"))) }
        guard let cache = caches[issuer] else { return .failure(.untrustedIssuer) }
        guard let algorithm = SignatureAlgorithm(rawValue: jws.header.algorithm),
            cache.issuer.allowedAlgorithms.contains(algorithm)
        else {
            return .failure(.algorithmNotAllowed(algorithm: jws.header.algorithm))
        }
        return .success(Prepared(jws: jws, cache: cache, algorithm: algorithm))
    }

    private func verify(_ prepared: Prepared, now: Date) -> Result<VerifiedToken, TokenError> {
        let jws = prepared.jws
        let trusted = prepared.cache.issuer
        guard let keySet = prepared.cache.keySet else { return .failure(.keySetUnavailable(issuer: trusted.issuer)) }
        let key: VerificationKey
        switch keySet.key(for: jws.header.keyID) {
        case .found(let found): key = found
        case .ambiguous: return .failure(.missingKeyID)
        case .unknown: return .failure(jws.header.keyID.map { .unknownKeyID(keyID: $0) } ?? .missingKeyID)
        }
        switch key.verify(signature: jws.signature, over: jws.signingInput, algorithm: prepared.algorithm) {
        case nil:
            return .failure(.algorithmNotAllowedForKey(algorithm: prepared.algorithm.rawValue, keyID: key.keyID ?? ""))
        case false?:
            return .failure(.invalidSignature)
        case true?:
            break
        }
        // From here on the payload is the issuer's.
        let claims: TokenClaims
        switch TokenClaims.parse(jws.claims) {
        case .failure(let error): return .failure(error)
        case .success(let parsed): claims = parsed
        }
        guard let expiresAt = claims.expiresAt else { return .failure(.missingClaim(name: "exp")) }
        if let error = ValidityWindow.check(
            expiresAt: expiresAt, notBefore: claims.notBefore, issuedAt: claims.issuedAt, now: now,
            clockSkew: trusted.clockSkew)
        {
            return .failure(error)
        }
        guard let audiences = claims.audiences, !audiences.isEmpty else { return .failure(.missingAudience) }
        guard audiences.contains(where: trusted.audiences.contains) else { return .failure(.audienceMismatch) }
        guard let subject = claims.subject, !subject.isEmpty else { return .failure(.missingClaim(name: "sub")) }
        return .success(
            VerifiedToken(
                issuer: trusted.issuer, subject: subject, audiences: audiences, expiresAt: expiresAt,
                notBefore: claims.notBefore, issuedAt: claims.issuedAt, tokenID: claims.tokenID,
                scopes: claims.scopes, groups: claims.groups, roles: claims.roles, email: claims.email,
                keyID: key.keyID, algorithm: prepared.algorithm, claims: jws.claims))
    }
}
