import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOConcurrencyHelpers

/// Login with an OpenID provider (`type: oidc`) or an Entra ID tenant (`type: azure-ad`): the
/// authorization code flow with PKCE, `state` and `nonce`; the callback's RFC 9207 `iss` checked;
/// the code exchanged with the client authentication `TokenEndpointClientAuth` picks; the ID token verified by `TokenVerifier` against the provider's JWKS (issuer,
/// audience = client id, signature, times), its nonce checked, and its claims mapped by the
/// provider's `claims` settings.
public final class OIDCLoginProvider: LoginProvider {
    /// How long discovered endpoints are used before discovery runs again.
    static let discoveryLifetime: TimeInterval = 3600

    struct Settings: Sendable, Equatable {
        var authority: String
        var issuerRule: OIDCDiscovery.IssuerRule
        var clientID: String
        var clientSecret: String?
        var scopes: [String]
        var subjectClaim: String
        var emailClaim: String
        var groupsClaim: String
        /// Entra ID only: where group overages are resolved.
        var graphBaseUrl: String?
        var tokenEndpointAuthMethod: IdentityProvider.TokenEndpointAuthMethod? = nil
    }

    let settings: Settings
    private let client: HTTPClient
    private let http: ProviderHTTP
    private let graph: GraphGroups?
    /// Signs `private_key_jwt` client assertions (Gatehouse's issuer); nil before it runs.
    private let assertionSigner: (any ClientAssertionSigning)?
    private let prepared = NIOLockedValueBox<(endpoints: OIDCEndpoints, verifier: TokenVerifier, until: Date)?>(nil)

    init(settings: Settings, client: HTTPClient, assertionSigner: (any ClientAssertionSigning)? = nil) {
        self.settings = settings
        self.assertionSigner = assertionSigner
        self.client = client
        self.http = ProviderHTTP(client: client)
        self.graph = settings.graphBaseUrl.map { GraphGroups(baseUrl: $0, http: ProviderHTTP(client: client)) }
    }

    /// A provider of `type: oidc`.
    public convenience init(
        oidc: IdentityProvider.OIDC, clientSecret: String?, client: HTTPClient,
        assertionSigner: (any ClientAssertionSigning)? = nil
    ) {
        let claims = oidc.effectiveClaims
        self.init(
            settings: Settings(
                authority: oidc.issuer, issuerRule: .exact, clientID: oidc.clientId, clientSecret: clientSecret,
                scopes: oidc.effectiveScopes, subjectClaim: claims.effectiveSubject, emailClaim: claims.effectiveEmail,
                groupsClaim: claims.effectiveGroups, graphBaseUrl: nil, tokenEndpointAuthMethod: oidc.tokenEndpointAuthMethod),
            client: client, assertionSigner: assertionSigner)
    }

    /// A provider of `type: azure-ad`: authority `{baseUrl}/{tenant}/v2.0`.
    public convenience init(
        azureAd: IdentityProvider.AzureAD, clientSecret: String?, client: HTTPClient,
        assertionSigner: (any ClientAssertionSigning)? = nil
    ) {
        let claims = azureAd.effectiveClaims
        let base = ProviderURL.trimmed(azureAd.effectiveBaseUrl)
        self.init(
            settings: Settings(
                authority: "\(base)/\(azureAd.tenant)/v2.0", issuerRule: .entraTenant(baseUrl: base),
                clientID: azureAd.clientId, clientSecret: clientSecret, scopes: azureAd.effectiveScopes,
                subjectClaim: claims.effectiveSubject, emailClaim: claims.effectiveEmail,
                groupsClaim: claims.effectiveGroups, graphBaseUrl: azureAd.effectiveGraphBaseUrl,
                tokenEndpointAuthMethod: azureAd.tokenEndpointAuthMethod),
            client: client, assertionSigner: assertionSigner)
    }

    public func authorizationURL(for request: AuthorizationRequest) async throws(LoginError) -> String {
        let (endpoints, _) = try await discovered()
        var query: [(String, String)] = [
            ("response_type", "code"), ("client_id", settings.clientID), ("redirect_uri", request.redirectURI),
            ("scope", settings.scopes.joined(separator: " ")), ("state", request.state), ("nonce", request.nonce),
            ("code_challenge", request.codeChallenge), ("code_challenge_method", PKCE.method),
        ]
        if let hint = request.loginHint { query.append(("login_hint", hint)) }
        let separator = endpoints.authorization.contains("?") ? "&" : "?"
        return endpoints.authorization + separator + FormEncoding.encode(query)
    }

    public func complete(_ callback: AuthorizationCallback) async throws(LoginError) -> LoginIdentity {
        let (endpoints, verifier) = try await discovered()
        try Self.checkResponseIssuer(callback.issuer, endpoints: endpoints)
        let authentication = try TokenEndpointClientAuth.choose(
            configured: settings.tokenEndpointAuthMethod, supported: endpoints.tokenEndpointAuthMethods,
            hasSecret: settings.clientSecret?.isEmpty == false)
        let (credentials, headers) = try authentication.credentials(
            clientID: settings.clientID, secret: settings.clientSecret, tokenEndpoint: endpoints.token,
            signer: assertionSigner, now: Date())
        let form: [(String, String)] = [
            ("grant_type", "authorization_code"), ("code", callback.code), ("redirect_uri", callback.redirectURI),
            ("code_verifier", callback.codeVerifier),
        ] + credentials
        let reply: ProviderHTTP.Reply
        do {
            reply = try await http.postForm(endpoints.token, form, headers: headers)
        } catch {
            throw error.loginError
        }
        let document = reply.json
        guard reply.status == 200 else {
            if (400..<500).contains(reply.status) {
                throw .exchangeRefused(error: document?["error"]?.stringValue ?? "HTTP \(reply.status)")
            }
            throw .providerUnavailable("the token endpoint answered HTTP \(reply.status)")
        }
        guard let idToken = document?["id_token"]?.stringValue else { throw .missingClaim("id_token") }
        let verified: VerifiedToken
        switch await verifier.verify(idToken) {
        case .failure(let error): throw .idToken(error)
        case .success(let token): verified = token
        }
        try Self.checkIDToken(verified, nonce: callback.nonce, clientID: settings.clientID)
        var identity = try mapClaims(verified.claims)
        if let graph, GraphGroups.signalsOverage(verified.claims) {
            guard let accessToken = document?["access_token"]?.stringValue else { throw .missingClaim("access_token") }
            identity.groups = try await graph.groups(of: identity.subject, accessToken: accessToken)
        }
        return identity
    }

    /// RFC 9207 §2.4, the mix-up defence: an `iss` in the callback must be this provider's
    /// issuer, and a provider that says it sends one must have sent it.
    static func checkResponseIssuer(_ sent: String?, endpoints: OIDCEndpoints) throws(LoginError) {
        guard let sent else {
            if endpoints.sendsIssuerInResponse { throw .responseIssuerMismatch("the callback has no 'iss'") }
            return
        }
        guard sent == endpoints.issuer else {
            throw .responseIssuerMismatch("the callback's 'iss' is not this provider's issuer")
        }
    }

    public func endSessionURL(postLogoutRedirectURI: String) async -> String? {
        guard let (endpoints, _) = try? await discovered(), let endSession = endpoints.endSession else { return nil }
        let query = [("client_id", settings.clientID), ("post_logout_redirect_uri", postLogoutRedirectURI)]
        return endSession + (endSession.contains("?") ? "&" : "?") + FormEncoding.encode(query)
    }

    /// What OIDC Core §3.1.3.7 asks beyond the signature, issuer, audience and times the
    /// verifier checked: the nonce of this login, and `azp` when there are several audiences.
    static func checkIDToken(_ token: VerifiedToken, nonce: String, clientID: String) throws(LoginError) {
        guard let sent = token.string("nonce"), ConstantTime.equal(Array(sent.utf8), Array(nonce.utf8)) else {
            throw .nonceMismatch
        }
        if token.audiences.count > 1, token.string("azp") != clientID {
            throw .idToken(.audienceMismatch)
        }
    }

    func mapClaims(_ claims: [String: ClaimValue]) throws(LoginError) -> LoginIdentity {
        guard let subject = claims[settings.subjectClaim]?.stringValue, !subject.isEmpty else {
            throw .missingClaim(settings.subjectClaim)
        }
        let groups = claims[settings.groupsClaim]?.names ?? []
        return LoginIdentity(
            subject: subject, email: claims[settings.emailClaim]?.stringValue, name: claims["name"]?.stringValue,
            groups: groups)
    }

    /// The endpoints and a verifier for the ID tokens of the issuer discovery named.
    private func discovered(now: Date = Date()) async throws(LoginError) -> (OIDCEndpoints, TokenVerifier) {
        if let current = prepared.withLockedValue({ $0 }), current.until > now {
            return (current.endpoints, current.verifier)
        }
        let endpoints = try await OIDCDiscovery.fetch(authority: settings.authority, rule: settings.issuerRule, http: http)
        let verifier: TokenVerifier
        do {
            let trusted = try TrustedIssuer(
                issuer: endpoints.issuer, keySource: .jwksURL(endpoints.jwks), audiences: [settings.clientID])
            verifier = try TokenVerifier(issuers: [trusted], fetcher: HTTPKeySetFetcher(client: client))
        } catch {
            throw .notConfigured("\(error)")
        }
        prepared.withLockedValue { $0 = (endpoints, verifier, now.addingTimeInterval(Self.discoveryLifetime)) }
        return (endpoints, verifier)
    }
}
