import Crypto
import GatehouseModel
import Foundation
import NIOConcurrencyHelpers

/// Gatehouse as an issuer: signs access tokens with its own ES256 keys, rotates them, and
/// publishes the JWKS and the OIDC discovery document relying parties need.
///
/// The keys live in the data directory, sealed with the master key (`SigningKeyFile`). Tokens
/// are signed with swift-crypto directly: the header and claims are Gatehouse's own, and
/// signing stays synchronous. What is signed here verifies with `TokenVerifier` (jwt-kit).
public final class TokenIssuer: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var externalURL: String
        public var defaultTokenLifetime: TimeInterval
        /// Also how long a retired key stays published (plus the clock skew).
        public var maximumTokenLifetime: TimeInterval
        /// The skew relying parties allow; retired keys are kept this much longer.
        public var clockSkew: TimeInterval

        public init(
            externalURL: String, defaultTokenLifetime: TimeInterval = 900, maximumTokenLifetime: TimeInterval = 3600,
            clockSkew: TimeInterval = TrustedIssuer.defaultClockSkew
        ) {
            self.externalURL = externalURL
            self.defaultTokenLifetime = defaultTokenLifetime
            self.maximumTokenLifetime = maximumTokenLifetime
            self.clockSkew = clockSkew
        }
    }

    public let configuration: Configuration
    public let endpoints: IssuerEndpoints
    private let file: SigningKeyFile
    private let ring: NIOLockedValueBox<SigningKeyRing>

    /// Loads the signing keys from `dataDirectory`, or makes and stores the first one.
    public init(configuration: Configuration, dataDirectory: URL, masterKey: some ContiguousBytes, now: Date = Date())
        throws(TokenIssuerError)
    {
        guard configuration.defaultTokenLifetime > 0,
            configuration.maximumTokenLifetime >= configuration.defaultTokenLifetime
        else {
            throw .invalidLifetime("the default must be positive and at most the maximum")
        }
        guard configuration.clockSkew >= 0 else { throw .invalidLifetime("the clock skew must not be negative") }
        self.configuration = configuration
        self.endpoints = try IssuerEndpoints(externalURL: configuration.externalURL)
        self.file = try SigningKeyFile(dataDirectory: dataDirectory, masterKey: masterKey)
        let ring: SigningKeyRing
        if let stored = try file.load() {
            ring = stored
        } else {
            ring = SigningKeyRing(current: SigningKey.generate(now: now))
            try file.save(ring)
        }
        self.ring = NIOLockedValueBox(ring)
    }

    public var issuer: String { endpoints.issuer }
    /// The audience of the access tokens Gatehouse issues for itself (its admin API and the
    /// edge's routes): its own issuer URL, as RFC 9068 §3 suggests for a resource server that
    /// is also the authorization server. A route may ask for others with `auth.audiences`.
    public var defaultAudience: String { endpoints.issuer }
    public var currentKeyID: String { ring.withLockedValue { $0.current.keyID } }
    var currentKey: SigningKey { ring.withLockedValue { $0.current } }

    /// Retired keys are published this long after their retirement.
    var retention: TimeInterval { configuration.maximumTokenLifetime + configuration.clockSkew }

    /// Makes a new current key and stores it; the previous key keeps verifying the tokens it
    /// signed until they have all expired. Returns the new key's id.
    @discardableResult
    public func rotate(now: Date = Date()) throws(TokenIssuerError) -> String {
        let outcome: Result<String, TokenIssuerError> = ring.withLockedValue { ring in
            var next = ring
            let key = next.rotate(now: now)
            _ = next.prune(at: now, retention: retention)
            // Stored before it is used: a key that signed tokens must survive a restart.
            do throws(TokenIssuerError) {
                try file.save(next)
            } catch {
                return .failure(error)
            }
            ring = next
            return .success(key.keyID)
        }
        return try outcome.get()
    }

    /// Rotates when the current key is older than `maximumAge`; returns the new key's id, or nil
    /// when the key is young enough. Run periodically: keys then rotate without an operator.
    @discardableResult
    public func rotateIfOlder(than maximumAge: TimeInterval, now: Date = Date()) throws(TokenIssuerError) -> String? {
        let age = now.timeIntervalSince(ring.withLockedValue { $0.current.createdAt })
        guard age >= maximumAge else { return nil }
        return try rotate(now: now)
    }

    /// The published keys as the admin API lists them, current first.
    public func signingKeys(now: Date = Date()) -> [SigningKeyInfo] {
        let keys = ring.withLockedValue { $0.published(at: now, retention: retention) }
        return keys.map { key in
            SigningKeyInfo(
                keyId: key.keyID, status: key.retiredAt == nil ? .current : .retired, createdAt: key.createdAt,
                retiredAt: key.retiredAt, publishedUntil: key.retiredAt?.addingTimeInterval(retention))
        }
    }

    public func issueAccessToken(_ request: AccessTokenRequest, now: Date = Date()) throws(TokenIssuerError) -> IssuedAccessToken {
        guard !request.subject.isEmpty else { throw .invalidRequest("the subject is empty") }
        guard !request.audiences.isEmpty, !request.audiences.contains("") else {
            throw .invalidRequest("at least one non-empty audience is needed")
        }
        let lifetime = request.lifetime ?? configuration.defaultTokenLifetime
        guard lifetime > 0 else { throw .invalidLifetime("a token must live a positive time") }
        guard lifetime <= configuration.maximumTokenLifetime else {
            throw .lifetimeTooLong(requested: lifetime, maximum: configuration.maximumTokenLifetime)
        }
        let key = ring.withLockedValue { $0.current }
        // Whole seconds: NumericDate as every verifier reads it.
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let expiresAt = issuedAt.addingTimeInterval(lifetime.rounded(.down))
        let tokenID = Base64URL.encode(RandomBytes.make(count: 16))
        let claims = AccessTokenClaims(
            iss: issuer, sub: request.subject,
            aud: request.audiences.count == 1 ? .one(request.audiences[0]) : .many(request.audiences),
            org: request.org, groups: request.groups.isEmpty ? nil : request.groups,
            scope: request.scopes.isEmpty ? nil : request.scopes.joined(separator: " "),
            client_id: request.clientID, kind: request.kind?.rawValue, idp: request.identityProvider,
            email: request.email, sid: request.sessionID, iat: Int64(issuedAt.timeIntervalSince1970),
            exp: Int64(expiresAt.timeIntervalSince1970), jti: tokenID)
        let token = try sign(claims, type: "at+jwt", with: key)
        return IssuedAccessToken(token: token, tokenID: tokenID, keyID: key.keyID, issuedAt: issuedAt, expiresAt: expiresAt)
    }

    /// The `x-gatehouse-identity` token the edge sends a function: who called, signed by
    /// Gatehouse, so the function can trust it without verifying the caller's own credential.
    ///
    /// Its `typ` is `gatehouse-identity+jwt`, which no verifier of bearer tokens accepts, and its
    /// `aud` names the one function: a function cannot replay it to Gatehouse or to another
    /// function as a credential.
    public func issueIdentityToken(
        for principal: Principal, function: FunctionAudience, lifetime: TimeInterval = TokenIssuer.identityTokenLifetime,
        now: Date = Date()
    ) throws(TokenIssuerError) -> IssuedAccessToken {
        let key = ring.withLockedValue { $0.current }
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        var expiresAt = issuedAt.addingTimeInterval(lifetime.rounded(.down))
        if let credentialExpiry = principal.expiresAt, credentialExpiry < expiresAt { expiresAt = credentialExpiry }
        let tokenID = Base64URL.encode(RandomBytes.make(count: 12))
        let claims = IdentityTokenClaims(
            iss: issuer, sub: principal.subject, aud: function.audience, org: principal.org, kind: principal.kind.rawValue,
            idp: principal.provider, groups: principal.groups.isEmpty ? nil : principal.groups.sorted(),
            scope: principal.scopes.isEmpty ? nil : principal.scopes.sorted().joined(separator: " "),
            iat: Int64(issuedAt.timeIntervalSince1970), exp: Int64(expiresAt.timeIntervalSince1970.rounded(.down)),
            jti: tokenID)
        let token = try sign(claims, type: Self.identityTokenType, with: key)
        return IssuedAccessToken(token: token, tokenID: tokenID, keyID: key.keyID, issuedAt: issuedAt, expiresAt: expiresAt)
    }

    /// Short: the edge mints one per caller and function and reuses it for half its life.
    public static let identityTokenLifetime: TimeInterval = 60
    public static let identityTokenType = "gatehouse-identity+jwt"

    /// JWS compact serialization of `claims`, signed ES256 with `key`.
    func sign(_ claims: some Encodable, type: String, with key: SigningKey) throws(TokenIssuerError) -> String {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let header = AccessTokenHeader(alg: "ES256", typ: type, kid: key.keyID)
            let signingInput = Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(claims))
            return signingInput + "." + (try key.sign(Data(signingInput.utf8)))
        } catch {
            throw .signingFailed
        }
    }

    /// The JWKS document (RFC 7517 §5) of every key a verifier may need at `now`.
    public func jwksDocument(now: Date = Date()) -> Data {
        let keys = ring.withLockedValue { $0.published(at: now, retention: retention) }
        return Self.encode(["keys": keys.map(\.publicJWK)])
    }

    /// The OIDC discovery document (OpenID Connect Discovery 1.0 §3, RFC 8414), served at
    /// `{externalURL}/.well-known/openid-configuration`. It lists what Gatehouse serves: no
    /// authorization endpoint (people sign in through their org's provider, and the CLI through
    /// the device flow), hence no `authorization_code` grant and no response types.
    public func discoveryDocument() -> Data {
        Self.encode(
            DiscoveryDocument(
                issuer: issuer,
                jwks_uri: endpoints.jwks,
                token_endpoint: endpoints.token,
                device_authorization_endpoint: endpoints.deviceAuthorization,
                revocation_endpoint: endpoints.revocation,
                response_types_supported: [],
                subject_types_supported: ["public"],
                id_token_signing_alg_values_supported: ["ES256"],
                grant_types_supported: [
                    "urn:ietf:params:oauth:grant-type:device_code",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "refresh_token",
                ],
                token_endpoint_auth_methods_supported: ["none"]
            ))
    }

    private static func encode(_ value: some Encodable) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only strings and arrays of them: encoding cannot fail.
        return (try? encoder.encode(value)) ?? Data("{}".utf8)
    }
}

/// Serves the issuer's own key set to a `TokenVerifier` in the same process, without HTTP.
extension TokenIssuer: KeySetFetching {
    public func fetchKeySet(for trusted: TrustedIssuer) async throws(KeySetFetchError) -> FetchedKeySet {
        guard trusted.issuer == issuer else { throw .unknownIssuer(issuer: trusted.issuer) }
        return FetchedKeySet(document: jwksDocument())
    }
}
