import Foundation

/// Gatehouse as an OAuth client authenticating with `private_key_jwt` (RFC 7523 §2.2, OIDC Core
/// §9): the client assertion is signed with the issuer's current key, so the one JWKS Gatehouse
/// already publishes (`{issuer}/.well-known/jwks.json`) is what a provider registers as the
/// client's `jwks_uri`; key rotation then needs nothing at the provider.
public protocol ClientAssertionSigning: Sendable {
    /// A short-lived assertion: `iss` = `sub` = `clientID`, `aud` = the token endpoint, a fresh `jti`.
    func clientAssertion(clientID: String, audience: String, now: Date) throws(TokenIssuerError) -> String
}

struct ClientAssertionClaims: Encodable {
    var iss: String
    var sub: String
    var aud: String
    var iat: Int64
    var exp: Int64
    var jti: String
}

extension TokenIssuer: ClientAssertionSigning {
    /// Long enough for one token request, short enough that a leaked one is soon worthless.
    public static let clientAssertionLifetime: TimeInterval = 60

    public func clientAssertion(clientID: String, audience: String, now: Date) throws(TokenIssuerError) -> String {
        let issuedAt = Int64(now.timeIntervalSince1970.rounded(.down))
        let claims = ClientAssertionClaims(
            iss: clientID, sub: clientID, aud: audience, iat: issuedAt,
            exp: issuedAt + Int64(Self.clientAssertionLifetime), jti: Base64URL.encode(RandomBytes.make(count: 16)))
        return try sign(claims, type: "JWT", with: currentKey)
    }
}
