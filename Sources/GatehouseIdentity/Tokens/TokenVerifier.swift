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
    /// One trusted issuer: the rules its tokens must follow, and the cache of its keys. Several
    /// verifiers may share a cache (the edge builds one verifier per org, and two orgs may trust
    /// the same issuer with different audiences); the rules are the verifier's own.
    public struct Entry: Sendable {
        public let issuer: TrustedIssuer
        public let keys: KeySetCache

        public init(issuer: TrustedIssuer, keys: KeySetCache) {
            self.issuer = issuer
            self.keys = keys
        }
    }

    private let entries: [String: Entry]

    public convenience init(
        issuers: [TrustedIssuer], fetcher: any KeySetFetching, policy: KeySetRefreshPolicy = KeySetRefreshPolicy(),
        logger: Logger = Logger(label: "gatehouse.identity.keys")
    ) throws(TrustedIssuerError) {
        try self.init(
            entries: issuers.map {
                Entry(issuer: $0, keys: KeySetCache(issuer: $0, fetcher: fetcher, policy: policy, logger: logger))
            })
    }

    public init(entries: [Entry]) throws(TrustedIssuerError) {
        var byIssuer: [String: Entry] = [:]
        for entry in entries {
            guard byIssuer[entry.issuer.issuer] == nil else { throw .duplicateIssuer(issuer: entry.issuer.issuer) }
            byIssuer[entry.issuer.issuer] = entry
        }
        self.entries = byIssuer
    }

    public var issuers: [TrustedIssuer] { entries.values.map(\.issuer).sorted { $0.issuer < $1.issuer } }

    /// Whether tokens of `issuer` are accepted at all.
    public func trusts(issuer: String) -> Bool { entries[issuer] != nil }

    /// The key set cache of one issuer, for warming up and for health reporting.
    public func keySetCache(for issuer: String) -> KeySetCache? { entries[issuer]?.keys }

    /// Fetches every issuer's keys that are missing or stale (e.g. at start-up, or on a timer).
    public func refreshStaleKeySets(now: Date = Date()) async {
        await withTaskGroup(of: Void.self) { group in
            for cache in entries.values.map(\.keys) where cache.needsRefresh(at: now) {
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
        let cache = prepared.entry.keys
        if cache.keySet == nil {
            await cache.refresh(now: now)
        } else if cache.needsRefresh(at: now) {
            Task { await cache.refresh(now: now) }
        }
        let first = verify(prepared, now: now)
        guard case .failure(let error) = first, error.isCuredByKeyRefresh else { return first }
        if case .rateLimited = await cache.refresh(now: now) { return first }
        return verify(prepared, now: now)
    }

    /// A parsed token whose header passed the checks and whose issuer is trusted.
    private struct Prepared {
        var jws: CompactJWS
        var entry: Entry
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
        guard let entry = entries[issuer] else { return .failure(.untrustedIssuer) }
        guard let algorithm = SignatureAlgorithm(rawValue: jws.header.algorithm),
            entry.issuer.allowedAlgorithms.contains(algorithm)
        else {
            return .failure(.algorithmNotAllowed(algorithm: jws.header.algorithm))
        }
        return .success(Prepared(jws: jws, entry: entry, algorithm: algorithm))
    }

    private func verify(_ prepared: Prepared, now: Date) -> Result<VerifiedToken, TokenError> {
        let jws = prepared.jws
        let trusted = prepared.entry.issuer
        guard let keySet = prepared.entry.keys.keySet else { return .failure(.keySetUnavailable(issuer: trusted.issuer)) }
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
