import Foundation
import JWTKit

/// A verified service-account assertion.
public struct VerifiedAssertion: Sendable, Equatable {
    public let serviceAccount: ServiceAccountID
    public let tokenID: String?
    public let issuedAt: Date
    public let expiresAt: Date
    /// The fingerprint of the registered key that verified it.
    public let keyFingerprint: String

    /// The caller, as authorization sees it.
    public var principal: Principal {
        Principal(
            kind: .serviceAccount, subject: serviceAccount.description, org: serviceAccount.org,
            provider: "gatehouse", expiresAt: expiresAt)
    }
}

/// Verifies the JWT a service account signs with its registered key to obtain a token
/// (RFC 7523 §3, the `jwt-bearer` grant): `iss` = `sub` = `{org}/{name}`, `aud` = Gatehouse's
/// token endpoint, `exp` within the maximum lifetime, `iat` present, `jti` not replayed. The
/// header rules are those of every token (`JOSEHeader`).
public struct ServiceAccountAssertionVerifier: Sendable {
    public static let defaultMaximumLifetime: TimeInterval = 3600

    public let tokenEndpoint: String
    public let maximumLifetime: TimeInterval
    public let clockSkew: TimeInterval
    public let replayCache: AssertionReplayCache?
    /// When true, assertions without `jti` are refused (replay protection for every one).
    public let requiresTokenID: Bool

    public init(
        tokenEndpoint: String, maximumLifetime: TimeInterval = ServiceAccountAssertionVerifier.defaultMaximumLifetime,
        clockSkew: TimeInterval = TrustedIssuer.defaultClockSkew, replayCache: AssertionReplayCache? = AssertionReplayCache(),
        requiresTokenID: Bool = false
    ) {
        self.tokenEndpoint = tokenEndpoint
        self.maximumLifetime = maximumLifetime
        self.clockSkew = clockSkew
        self.replayCache = replayCache
        self.requiresTokenID = requiresTokenID
    }

    /// The service account an assertion claims to come from, read without verifying anything,
    /// so the caller can look up that account's registered keys for `verify`.
    public static func claimedServiceAccount(in assertion: String) -> Result<ServiceAccountID, AssertionError> {
        switch CompactJWS.parse(assertion) {
        case .failure(let error):
            return .failure(.token(error))
        case .success(let jws):
            guard let issuer = jws.claims["iss"]?.stringValue else { return .failure(.token(.missingClaim(name: "iss"))) }
            guard let account = ServiceAccountID(issuer) else { return .failure(.invalidIssuer) }
            return .success(account)
        }
    }

    /// Verifies `assertion` as coming from `account`, signed by one of `keys` (the account's
    /// registered keys). Suspends only to build jwt-kit's verifier for the chosen key.
    public func verify(
        _ assertion: String, from account: ServiceAccountID, keys: [RegisteredPublicKey], now: Date = Date()
    ) async -> Result<VerifiedAssertion, AssertionError> {
        let jws: CompactJWS
        switch CompactJWS.parse(assertion) {
        case .failure(let error): return .failure(.token(error))
        case .success(let parsed): jws = parsed
        }
        guard let issuer = jws.claims["iss"]?.stringValue else { return .failure(.token(.missingClaim(name: "iss"))) }
        guard let claimed = ServiceAccountID(issuer) else { return .failure(.invalidIssuer) }
        guard claimed == account else { return .failure(.wrongServiceAccount) }
        guard let algorithm = SignatureAlgorithm(rawValue: jws.header.algorithm) else {
            return .failure(.token(.algorithmNotAllowed(algorithm: jws.header.algorithm)))
        }
        // A kid naming a registered key's fingerprint selects that key; otherwise each key of
        // the account that fits the algorithm is tried (an account has a few at most).
        var candidates = keys.filter { $0.algorithms.contains(algorithm) }
        if let keyID = jws.header.keyID, let named = candidates.first(where: { $0.fingerprint == keyID }) {
            candidates = [named]
        }
        guard !candidates.isEmpty else { return .failure(.noUsableKey) }
        var verifiedWith: RegisteredPublicKey?
        for candidate in candidates {
            guard let verifier = try? await candidate.key.makeVerifiers(for: [algorithm])[algorithm] else { continue }
            if (try? verifier.verify(jws.signature, signs: jws.signingInput)) == true {
                verifiedWith = candidate
                break
            }
        }
        guard let key = verifiedWith else { return .failure(.token(.invalidSignature)) }

        // From here on the claims are the service account's own.
        let claims: TokenClaims
        switch TokenClaims.parse(jws.claims) {
        case .failure(let error): return .failure(.token(error))
        case .success(let parsed): claims = parsed
        }
        guard let subject = claims.subject else { return .failure(.token(.missingClaim(name: "sub"))) }
        guard subject == issuer else { return .failure(.subjectMismatch) }
        guard let audiences = claims.audiences, !audiences.isEmpty else { return .failure(.token(.missingAudience)) }
        guard audiences.contains(tokenEndpoint) else { return .failure(.token(.audienceMismatch)) }
        guard let expiresAt = claims.expiresAt else { return .failure(.token(.missingClaim(name: "exp"))) }
        guard let issuedAt = claims.issuedAt else { return .failure(.token(.missingClaim(name: "iat"))) }
        if let error = ValidityWindow.check(
            expiresAt: expiresAt, notBefore: claims.notBefore, issuedAt: issuedAt, now: now, clockSkew: clockSkew)
        {
            return .failure(.token(error))
        }
        // A long-lived assertion is a long-lived credential; the client's clock may run ahead
        // by the skew.
        guard expiresAt <= now.addingTimeInterval(maximumLifetime + clockSkew) else {
            return .failure(.lifetimeTooLong(maximumSeconds: Int(maximumLifetime)))
        }
        if let tokenID = claims.tokenID {
            if let replayCache {
                switch replayCache.record(tokenID: tokenID, issuer: issuer, until: expiresAt.addingTimeInterval(clockSkew), now: now) {
                case .firstUse: break
                case .replayed: return .failure(.replayed)
                case .full: return .failure(.replayCacheFull)
                }
            }
        } else if requiresTokenID {
            return .failure(.missingTokenID)
        }
        return .success(
            VerifiedAssertion(
                serviceAccount: account, tokenID: claims.tokenID, issuedAt: issuedAt, expiresAt: expiresAt,
                keyFingerprint: key.fingerprint))
    }
}
