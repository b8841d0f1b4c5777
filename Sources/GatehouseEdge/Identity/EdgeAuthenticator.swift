import Foundation
import GatehouseIdentity
import GatehouseModel
import NIOHTTP1

/// Authenticates requests on one event loop: reads the one credential a request presents,
/// verifies it against the route's org (cached per loop), turns it into a `Principal` and
/// checks the route's requirements. Also mints the identity tokens sent to functions.
///
/// Owned by its loop's `EdgeLoopState`; nothing here locks or suspends. What must suspend (a key
/// fetch, a service account's assertion, asking GitHub) comes back as `needsVerification`, for
/// the caller to run off the loop and hand back to `complete`.
final class EdgeAuthenticator {
    private let verified = VerifiedTokenCache(capacity: 10_000)
    private struct IdentityTokenKey: Hashable {
        var credential: TokenDigest
        var function: FunctionAudience
    }
    /// Identity tokens by caller and function, reused for half their life: signing costs more
    /// than the rest of a request's authentication together.
    private let identityTokens = ExpiringClockCache<IdentityTokenKey, String>(capacity: 10_000)
    /// Credentials verified off the loop (service accounts' own assertions, GitHub tokens): the
    /// principal, until the assertion's `exp` (at most as long as any verified token is
    /// remembered, so a deleted account or key stops working as soon) or the provider's cache time.
    private let checked = ExpiringClockCache<TokenDigest, Principal>(capacity: 10_000)
    /// GitHub tokens GitHub refused, remembered briefly, so replaying one costs GitHub nothing.
    private let refused = ExpiringClockCache<TokenDigest, String>(capacity: 10_000)
    static let refusalMemory: TimeInterval = 30

    func authenticate(_ headers: HTTPHeaders, rules: RouteAuthRules, identity: OrgIdentity, now: Date) -> EdgeAuthentication {
        if rules.anonymous { return .anonymous }
        let presented: PresentedCredential
        switch PresentedCredential.extract(from: headers, apiKeyHeader: rules.apiKeyHeader) {
        case .failure(.multiple):
            return .refused(.invalidRequest("more than one credential was presented; send exactly one"))
        case .failure(.malformed):
            return .refused(.invalidRequest("the credential is malformed; send 'Authorization: Bearer <token>'"))
        case .failure(.tooLarge):
            return .refused(.invalidToken("the token is larger than \(PresentedCredential.maxTokenBytes) bytes"))
        case .success(nil):
            if rules.acceptsSession, let cookie = Self.sessionCookie(in: headers) {
                return session(cookie, identity: identity, rules: rules, now: now)
            }
            return .refused(.missing("this route needs \(Self.accepted(rules))"))
        case .success(let credential?):
            presented = credential
        }
        switch presented {
        case .apiKey(let key):
            guard rules.acceptsAPIKey else { return .refused(.invalidToken("this route does not accept API keys")) }
            switch identity.apiKeys.principal(forPresented: key, now: now) {
            case .failure(let error):
                return .refused(.invalidToken(error.description))
            case .success(let principal):
                return admit(principal, credential: TokenDigest(key, scope: identity.org), rules: rules)
            }
        case .bearer(let token):
            guard rules.acceptsJWT else { return .refused(.invalidToken("this route does not accept bearer tokens")) }
            if !identity.opaqueProviders.isEmpty, OpaqueTokenProvider.looksLikeGitHubToken(token) {
                return gitHubToken(token, identity: identity, rules: rules, now: now)
            }
            guard let verifier = identity.verifier else {
                return .refused(.invalidToken("org \(identity.org) trusts no token issuer"))
            }
            // One digest names the token for the verdict cache and the identity-token cache.
            let credential = TokenDigest(token, scope: identity.org)
            let result = verified.verify(token, digest: credential, now: now, using: verifier)
            switch result {
            case .failure(let error) where error.isCuredByKeyRefresh:
                return .needsVerification(PendingVerification(token: token, identity: identity, kind: .token(verifier)))
            case .failure(.untrustedIssuer):
                if let assertion = serviceAccountAssertion(token, identity: identity, rules: rules, now: now) {
                    return assertion
                }
            default:
                break
            }
            return decide(result, credential: credential, identity: identity, rules: rules, now: now)
        }
    }

    /// A browser's login session: the cookie the control listener set at login (`SessionCookie`),
    /// sent here too because cookies are per host, not per port. Used only when no token or key
    /// was presented: an explicit credential says more about who is calling than a cookie.
    private func session(_ cookie: String, identity: OrgIdentity, rules: RouteAuthRules, now: Date) -> EdgeAuthentication {
        guard let sessions = identity.sessions else { return .refused(.missing("login sessions are not available")) }
        switch sessions.principal(forCookie: cookie, now: now) {
        case .failure(let error):
            return .refused(.invalidToken("the login session is not valid (\(error)); sign in again"))
        case .success(let principal):
            guard principal.org == identity.org else {
                return .refused(.invalidToken("the login session belongs to another org"))
            }
            guard rules.admits(provider: principal.provider ?? "") else {
                return .refused(.forbidden("this route does not accept sessions established by \(principal.provider ?? "-")"))
            }
            return admit(principal, credential: TokenDigest(cookie, scope: identity.org), rules: rules)
        }
    }

    private static func sessionCookie(in headers: HTTPHeaders) -> String? {
        // HTTP/2 may split cookies over several fields (RFC 9113 §8.2.3).
        for value in headers["cookie"] {
            if let cookie = SessionCookie.value(inCookieHeader: value) { return cookie }
        }
        return nil
    }

    /// Finishes a verification that ran off the loop, back on the loop.
    func complete(
        _ pending: PendingVerification, with outcome: PendingVerification.Outcome, rules: RouteAuthRules, now: Date
    ) -> EdgeAuthentication {
        let credential = TokenDigest(pending.token, scope: pending.identity.org)
        switch outcome {
        case .token(let result):
            if case .success(let token) = result { verified.insert(token, for: credential, now: now) }
            return decide(result, credential: credential, identity: pending.identity, rules: rules, now: now)
        case .assertion(.failure(let error)):
            return .refused(.invalidToken(error.description))
        case .assertion(.success(let assertion)):
            let principal = assertion.principal
            let validUntil = min(assertion.expiresAt, now.addingTimeInterval(verified.maximumEntryLifetime))
            checked.insert(principal, for: credential, validUntil: validUntil, now: now)
            return admit(principal, credential: credential, rules: rules)
        case .opaque(.failure(let error)):
            // A provider outage is not the token's fault: it is not remembered as refused.
            if !error.isProviderFailure {
                refused.insert(error.description, for: credential, validUntil: now.addingTimeInterval(Self.refusalMemory), now: now)
            }
            return .refused(.invalidToken(error.description))
        case .opaque(.success(let (provider, holder))):
            let principal = Principal(
                kind: .user, subject: holder.subject, org: pending.identity.org, groups: Set(holder.groups),
                provider: provider.name)
            checked.insert(principal, for: credential, validUntil: now.addingTimeInterval(TimeInterval(provider.cacheSeconds)), now: now)
            return admit(principal, credential: credential, rules: rules)
        }
    }

    /// A GitHub token, on a route of an org whose GitHub provider accepts them: remembered, or
    /// checked with GitHub off the loop by the providers the route admits.
    private func gitHubToken(_ token: String, identity: OrgIdentity, rules: RouteAuthRules, now: Date) -> EdgeAuthentication {
        let credential = TokenDigest(token, scope: identity.org)
        // A remembered holder counts only while its provider still accepts GitHub tokens here.
        if let principal = checked.lookup(credential, now: now),
            identity.opaqueProviders.contains(where: { $0.name == principal.provider })
        {
            guard rules.admits(provider: principal.provider ?? "") else {
                return .refused(.providerNotAdmitted(principal.provider ?? "-"))
            }
            return admit(principal, credential: credential, rules: rules)
        }
        if let reason = refused.lookup(credential, now: now) { return .refused(.invalidToken(reason)) }
        let providers = identity.opaqueProviders.filter { rules.admits(provider: $0.name) }
        guard let checker = identity.opaqueTokens, !providers.isEmpty else {
            return .refused(.forbidden("this route does not accept GitHub tokens"))
        }
        return .needsVerification(
            PendingVerification(token: token, identity: identity, kind: .opaque(providers, checker: checker)))
    }

    /// A token whose issuer is none of the org's providers may be one of its service accounts'
    /// own assertions (`iss` = `sub` = `{org}/{name}`, `aud` = Gatehouse's issuer URL, at most an
    /// hour long), which routes accepting Gatehouse's tokens accept directly. nil: it is not.
    private func serviceAccountAssertion(
        _ token: String, identity: OrgIdentity, rules: RouteAuthRules, now: Date
    ) -> EdgeAuthentication? {
        guard let verifier = identity.assertions,
            case .success(let account) = ServiceAccountAssertionVerifier.claimedServiceAccount(in: token),
            account.org == identity.org
        else { return nil }
        guard let keys = identity.serviceAccounts[account.name] else {
            return .refused(.invalidToken("service account \(account) does not exist"))
        }
        guard rules.admits(provider: Route.Auth.gatehouseProvider) else {
            return .refused(.providerNotAdmitted(Route.Auth.gatehouseProvider))
        }
        guard rules.audiences == nil else {
            return .refused(
                .invalidToken("this route requires its own audiences; exchange the assertion at the token endpoint"))
        }
        let credential = TokenDigest(token, scope: identity.org)
        if let principal = checked.lookup(credential, now: now) {
            return admit(principal, credential: credential, rules: rules)
        }
        return .needsVerification(
            PendingVerification(token: token, identity: identity, kind: .assertion(account, keys: keys, verifier: verifier)))
    }

    /// The identity token for `principal` calling `function`, minted or reused.
    func identityToken(
        for principal: Principal, credential: TokenDigest, function: FunctionAudience, issuer: TokenIssuer, now: Date
    ) -> String? {
        let key = IdentityTokenKey(credential: credential, function: function)
        if let token = identityTokens.lookup(key, now: now) { return token }
        guard let issued = try? issuer.issueIdentityToken(for: principal, function: function, now: now) else { return nil }
        let reuseUntil = issued.issuedAt.addingTimeInterval(issued.expiresAt.timeIntervalSince(issued.issuedAt) / 2)
        identityTokens.insert(issued.token, for: key, validUntil: reuseUntil, now: now)
        return issued.token
    }

    /// Forgets cached verdicts, e.g. when the org's trusted issuers changed.
    func forgetVerifiedTokens() {
        verified.removeAll()
        identityTokens.removeAll()
        checked.removeAll()
        refused.removeAll()
    }

    // MARK: - Deciding

    private func decide(
        _ result: Result<VerifiedToken, TokenError>, credential: TokenDigest, identity: OrgIdentity, rules: RouteAuthRules,
        now: Date
    ) -> EdgeAuthentication {
        let token: VerifiedToken
        switch result {
        case .failure(let error): return .refused(.invalidToken(error.description))
        case .success(let value): token = value
        }
        // The snapshot may have changed since the verdict was cached: the provider must still be the org's.
        guard let candidates = identity.providers[token.issuer], !candidates.isEmpty else {
            return .refused(.invalidToken("the token's issuer is not trusted by org \(identity.org)"))
        }
        guard let provider = Self.attribute(token, to: candidates, rules: rules) else {
            return .refused(.invalidToken("the token's audience is not accepted on this route"))
        }
        if !rules.acceptsIDTokens, token.looksLikeIDToken {
            return .refused(
                .invalidToken(
                    "an ID token is not an access token: send the access token the provider issued (or set auth.acceptIdTokens on the route)"))
        }
        let principal: Principal
        switch provider.principal(of: token, org: identity.org, sessions: identity.sessions, now: now) {
        case .failure(let refusal): return .refused(refusal)
        case .success(let value): principal = value
        }
        guard rules.admits(provider: provider.name, via: principal.provider) else {
            return .refused(.providerNotAdmitted(principal.provider ?? provider.name))
        }
        // Entra ID leaves the groups out of a token when there are too many (and says so with
        // `hasgroups` or `_claim_names.groups`). Reading them needs Microsoft Graph and an
        // on-behalf-of exchange, which the edge does not do per request: such a caller cannot
        // pass a group requirement, and is told why.
        if !rules.groups.isEmpty, rules.groups.isDisjoint(with: principal.groups), GraphGroups.signalsOverage(token.claims) {
            return .refused(
                .forbidden(
                    "the token lists no groups because the user is in too many (Entra ID group overage); sign in through Gatehouse, whose sessions and tokens carry the groups read from Microsoft Graph"))
        }
        return admit(principal, credential: credential, rules: rules)
    }

    /// The provider a token of an issuer several providers share stands for: the one whose own
    /// audience it carries (one the route admits first). With the route's own `auth.audiences`,
    /// the token must carry one of those instead, and falls back to the first provider the
    /// route admits. nil: the token's audience is not accepted.
    static func attribute(
        _ token: VerifiedToken, to candidates: [OrgIdentity.ProviderRule], rules: RouteAuthRules
    ) -> OrgIdentity.ProviderRule? {
        let carried = Set(token.audiences)
        let own = candidates.filter { !$0.audiences.isDisjoint(with: carried) }
        let preferred = own.first { rules.admits(provider: $0.name) } ?? own.first
        guard let wanted = rules.audiences else { return preferred }
        guard !wanted.isDisjoint(with: carried) else { return nil }
        return preferred ?? candidates.first { rules.admits(provider: $0.name) } ?? candidates.first
    }

    /// The route's requirements of an authenticated caller.
    private func admit(_ principal: Principal, credential: TokenDigest, rules: RouteAuthRules) -> EdgeAuthentication {
        guard rules.scopes.isSubset(of: principal.scopes) else {
            return .refused(.forbidden("the credential lacks a scope this route requires", scopes: rules.scopes))
        }
        guard rules.groups.isEmpty || !rules.groups.isDisjoint(with: principal.groups) else {
            return .refused(.forbidden("the caller is not in a group this route admits"))
        }
        return .authenticated(principal, credential: credential)
    }

    private static func accepted(_ rules: RouteAuthRules) -> String {
        var ways: [String] = []
        if rules.acceptsJWT { ways.append("a bearer token") }
        if rules.acceptsAPIKey { ways.append("an API key (\(rules.apiKeyHeader) or Authorization: Bearer gak_...)") }
        if rules.acceptsSession { ways.append("a login session") }
        return ways.joined(separator: " or ")
    }
}
