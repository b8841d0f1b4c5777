import Foundation

/// The principal a verified access token Gatehouse issued stands for: `sub`, and the claims
/// Gatehouse wrote (`org`, `kind`, `idp`, `groups`, `scope`). Only people and service accounts
/// hold such tokens; a token naming another kind (or none) is refused rather than guessed at.
public enum GatehouseTokenPrincipal {
    public enum Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        case noOrg
        case kindNotAccepted(String)
        /// The token was minted from a login session (`sid`) that has ended: signed out.
        case sessionEnded

        public var description: String {
            switch self {
            case .noOrg: "the token names no org"
            case .sessionEnded: "the login session the token was issued from has ended; sign in again"
            case .kindNotAccepted(let kind): "the token's kind '\(LogSafe.fragment(kind))' is not accepted here"
            }
        }
    }

    /// The claim naming the login session a token was minted from (the session's record id,
    /// from which no cookie can be made).
    public static let sessionClaim = "sid"

    /// Kinds a Gatehouse access token may carry.
    public static let acceptedKinds: Set<Principal.Kind> = [.user, .serviceAccount]

    /// `sessions`: the live login sessions. A token that names one (`sid`, set when
    /// `/auth/session` minted it) is good only while that session lives, so signing out ends it
    /// on the edge and the admin API at once; without a directory such a token is refused.
    public static func principal(of token: VerifiedToken, sessions: SessionDirectory?, now: Date) -> Result<Principal, Refusal> {
        if let sessionID = token.string(sessionClaim) {
            guard let sessions, sessions.isLive(recordID: sessionID, now: now) else { return .failure(.sessionEnded) }
        }
        guard let org = token.string("org"), !org.isEmpty else { return .failure(.noOrg) }
        let kindClaim = token.string("kind") ?? ""
        guard let kind = Principal.Kind(rawValue: kindClaim), acceptedKinds.contains(kind) else {
            return .failure(.kindNotAccepted(kindClaim))
        }
        return .success(
            Principal(
                kind: kind, subject: token.subject, org: org, groups: Set(token.groups), scopes: Set(token.scopes),
                provider: token.string("idp"), expiresAt: token.expiresAt, email: token.string("email")))
    }

    /// A verifier that trusts `issuer`'s own tokens only — `aud` must name its default audience
    /// — reading the keys in process (`KeySetRefreshPolicy.inProcess`).
    public static func verifier(for issuer: TokenIssuer) throws(TrustedIssuerError) -> TokenVerifier {
        try TokenVerifier(
            issuers: [TrustedIssuer(issuer: issuer.issuer, audiences: [issuer.defaultAudience])], fetcher: issuer,
            policy: .inProcess)
    }
}

extension KeySetRefreshPolicy {
    /// For key sets served in the same process (Gatehouse's own: no network, two or three EC
    /// keys to parse): an unknown `kid` refreshes them at once, so a token signed right after a
    /// rotation is never refused for a refresh interval. Concurrent refreshes still join one.
    public static let inProcess = KeySetRefreshPolicy(minimumInterval: 0, defaultLifetime: 300, lifetimeBounds: 60...300)
}
