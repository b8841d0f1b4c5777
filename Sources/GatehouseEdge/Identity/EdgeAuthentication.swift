import GatehouseIdentity
import GatehouseModel

/// What authenticating one request came to.
enum EdgeAuthentication {
    /// The route accepts anyone; no principal.
    case anonymous
    /// The caller proved who they are and the route's requirements admit them. `credential`
    /// names the credential (a digest, never the credential) for the identity-token cache.
    case authenticated(Principal, credential: TokenDigest)
    case refused(AuthRefusal)
    /// The token names a key the cached key set lacks: the keys must be fetched (off the
    /// event loop, rate limited) before it can be decided.
    case needsKeyRefresh(PendingVerification)
}

/// A bearer token waiting for its issuer's keys.
struct PendingVerification: Sendable {
    let token: String
    let identity: OrgIdentity
}

/// Why a request is turned away, as RFC 6750 and RFC 9457 put it.
struct AuthRefusal: Error, Equatable {
    /// 400 (malformed request), 401 (no or bad credentials) or 403 (not admitted).
    let status: Int
    let challenge: BearerChallenge
    /// For the problem's `detail`: never a credential.
    let detail: String

    static func missing(_ detail: String) -> AuthRefusal {
        AuthRefusal(status: 401, challenge: .missing, detail: detail)
    }

    static func invalidToken(_ detail: String) -> AuthRefusal {
        AuthRefusal(status: 401, challenge: BearerChallenge(code: .invalidToken, description: detail), detail: detail)
    }

    static func invalidRequest(_ detail: String) -> AuthRefusal {
        AuthRefusal(status: 400, challenge: BearerChallenge(code: .invalidRequest, description: detail), detail: detail)
    }

    static func forbidden(_ detail: String, scopes: Set<String> = []) -> AuthRefusal {
        AuthRefusal(
            status: 403, challenge: BearerChallenge(code: .insufficientScope, description: detail, scopes: scopes.sorted()),
            detail: detail)
    }

    var problem: Problem {
        switch status {
        case 400: Problem.badRequest(detail)
        case 403: Problem.forbidden(detail)
        default: Problem.unauthorized(detail)
        }
    }
}
