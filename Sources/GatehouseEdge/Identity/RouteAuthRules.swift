import GatehouseModel

/// A route's `auth` as the edge checks it: sets instead of lists, defaults resolved.
struct RouteAuthRules: Sendable {
    let anonymous: Bool
    let acceptsJWT: Bool
    let acceptsSession: Bool
    let acceptsAPIKey: Bool
    /// nil: every provider of the org, and Gatehouse.
    let providers: Set<String>?
    /// nil: each provider's own audiences.
    let audiences: Set<String>?
    /// All required.
    let scopes: Set<String>
    /// Any one suffices; empty: none required.
    let groups: Set<String>
    let apiKeyHeader: String
    /// `auth.acceptIdTokens`: OpenID Connect ID tokens count as bearer tokens.
    let acceptsIDTokens: Bool

    static let open = RouteAuthRules(Route.Auth())

    init(_ auth: Route.Auth) {
        let methods = Set(auth.effectiveMethods)
        anonymous = methods.contains(.anonymous)
        acceptsJWT = methods.contains(.jwt)
        acceptsSession = methods.contains(.session)
        acceptsAPIKey = methods.contains(.apiKey)
        providers = auth.providers.map(Set.init)
        audiences = auth.audiences.map(Set.init)
        scopes = Set(auth.scopes ?? [])
        groups = Set(auth.groups ?? [])
        apiKeyHeader = auth.effectiveAPIKeyHeader
        acceptsIDTokens = auth.acceptIdTokens == true
    }

    /// Whether `provider` may vouch for a caller here. A token Gatehouse issued after a login
    /// vouches as Gatehouse and as the provider the user signed in with (`idp`), so a route
    /// limited to `corp-sso` admits both that provider's own tokens and Gatehouse's for its users.
    func admits(provider: String, via identityProvider: String? = nil) -> Bool {
        guard let providers else { return true }
        return providers.contains(provider) || identityProvider.map(providers.contains) == true
    }
}
