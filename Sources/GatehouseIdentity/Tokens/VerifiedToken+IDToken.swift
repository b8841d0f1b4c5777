/// Telling an OpenID Connect ID token from an access token. Both are JWTs from the same issuer
/// with the same keys, and a provider's ID tokens name the client id as `aud` — which is also
/// what a route accepts by default — so without this check an ID token would pass as a bearer
/// credential. An ID token says who signed in to a client; it grants nothing (OIDC Core §2,
/// RFC 9068 §1), so the edge refuses it unless the route opts in (`auth.acceptIdTokens`).
extension VerifiedToken {
    /// Claims that only ID tokens carry (OIDC Core §2, §3.1.3.6, §3.3.2.11).
    static let idTokenOnlyClaims = ["nonce", "at_hash", "c_hash", "s_hash"]

    /// Whether the token reads as an ID token: one of `idTokenOnlyClaims`, or an `azp` (the
    /// party the ID token was issued to) with neither the `scope`/`scp` of a delegated access
    /// token nor the `roles` of an application's one (Entra ID's client-credentials tokens).
    public var looksLikeIDToken: Bool {
        if Self.idTokenOnlyClaims.contains(where: { claims[$0] != nil }) { return true }
        return claims["azp"] != nil && ["scope", "scp", "roles"].allSatisfy { claims[$0] == nil }
    }
}
