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
    /// Deciding needs work that may suspend, to be done off the event loop: fetching an
    /// issuer's keys (rate limited) for a token whose key the cached set lacks, or verifying a
    /// service account's assertion.
    case needsVerification(PendingVerification)
}

/// A bearer token waiting for verification off the event loop.
struct PendingVerification: Sendable {
    enum Kind: Sendable {
        /// A provider's or Gatehouse's token whose key is not cached yet.
        case token(TokenVerifier)
        /// A service account's own assertion (RFC 7523 shape), presented directly.
        case assertion(ServiceAccountID, keys: [RegisteredPublicKey], verifier: ServiceAccountAssertionVerifier)
        /// A GitHub token, checked with GitHub by each of these providers in turn.
        case opaque([OpaqueTokenProvider], checker: any OpaqueTokenChecking)
    }

    enum Outcome: Sendable {
        case token(Result<VerifiedToken, TokenError>)
        case assertion(Result<VerifiedAssertion, AssertionError>)
        case opaque(Result<(OpaqueTokenProvider, LoginIdentity), LoginError>)
    }

    let token: String
    let identity: OrgIdentity
    let kind: Kind

    func run() async -> Outcome {
        switch kind {
        case .token(let verifier):
            return .token(await verifier.verify(token))
        case .assertion(let account, let keys, let verifier):
            return .assertion(await verifier.verify(token, from: account, keys: keys))
        case .opaque(let providers, let checker):
            var failure = LoginError.notAllowed("no identity provider accepts GitHub tokens here")
            for provider in providers {
                switch await checker.identity(ofToken: token, org: identity.org, provider: provider.name) {
                case .success(let holder): return .opaque(.success((provider, holder)))
                case .failure(let error): failure = error
                }
            }
            return .opaque(.failure(failure))
        }
    }
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

    /// Authenticated, by a provider the route does not list in `providers`.
    static func providerNotAdmitted(_ provider: String) -> AuthRefusal {
        forbidden("this route does not accept callers authenticated by \(provider)")
    }

    var problem: Problem {
        switch status {
        case 400: Problem.badRequest(detail)
        case 403: Problem.forbidden(detail)
        default: Problem.unauthorized(detail)
        }
    }
}
