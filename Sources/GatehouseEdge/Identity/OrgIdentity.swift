import Foundation
import GatehouseIdentity
import GatehouseModel

/// One org's identity configuration compiled for the edge: the token verifier of the issuers
/// it trusts, how each provider's claims become a `Principal`, and its API keys. Built with the
/// org's snapshot, immutable, read on the event loops without locks.
///
/// Each org gets a verifier of its own (sharing key caches with other orgs' through the
/// `KeySetCacheRegistry`), so a token another org's provider issued is an untrusted issuer here,
/// however valid it is elsewhere.
public final class OrgIdentity: Sendable {
    /// How a provider's tokens become principals.
    struct ProviderRule: Sendable {
        enum Kind: Sendable {
            /// An org's OIDC or Entra ID provider: claims mapped as configured.
            case external(subject: String, email: String, groups: String, roles: String?)
            /// Gatehouse's own tokens: `org`, `kind`, `idp` and `groups` as Gatehouse wrote them.
            case gatehouse
        }

        let name: String
        let kind: Kind
        /// What a token's `aud` must name when the route does not say (`auth.audiences`).
        let audiences: Set<String>
    }

    public let org: String
    /// nil: no issuer is trusted (no providers, and Gatehouse's issuer not started yet).
    let verifier: TokenVerifier?
    /// By exact `iss`: the providers of that issuer, in name order (Gatehouse's own last).
    let providers: [String: [ProviderRule]]
    let apiKeys: APIKeyVerifier
    /// Registered keys of the org's service accounts, by name.
    let serviceAccounts: [String: [RegisteredPublicKey]]
    /// Checks assertions service accounts present directly (nil until Gatehouse's issuer runs:
    /// their audience is its URL).
    let assertions: ServiceAccountAssertionVerifier?
    /// Providers whose bearer tokens are GitHub's, and who checks them.
    let opaqueProviders: [OpaqueTokenProvider]
    let opaqueTokens: (any OpaqueTokenChecking)?
    /// Where login sessions are looked up (nil: none, e.g. in tests of the edge alone).
    let sessions: SessionDirectory?
    /// Signs the identity tokens sent to functions; nil until the control listener started it.
    let issuer: TokenIssuer?

    public static func empty(org: String) -> OrgIdentity {
        OrgIdentity(
            org: org, verifier: nil, providers: [:], apiKeys: APIKeyVerifier(entries: [:]), serviceAccounts: [:],
            opaqueProviders: [], opaqueTokens: nil, sessions: nil, issuer: nil)
    }

    init(
        org: String, verifier: TokenVerifier?, providers: [String: [ProviderRule]], apiKeys: APIKeyVerifier,
        serviceAccounts: [String: [RegisteredPublicKey]], opaqueProviders: [OpaqueTokenProvider],
        opaqueTokens: (any OpaqueTokenChecking)?, sessions: SessionDirectory?, issuer: TokenIssuer?
    ) {
        self.opaqueProviders = opaqueTokens == nil ? [] : opaqueProviders
        self.opaqueTokens = opaqueTokens
        self.sessions = sessions
        self.org = org
        self.verifier = verifier
        self.providers = providers
        self.apiKeys = apiKeys
        self.serviceAccounts = serviceAccounts
        self.issuer = issuer
        // Reusable until `exp` (at most an hour): presented directly, an assertion is a bearer
        // credential like an access token, not a one-time grant.
        self.assertions = issuer.map { ServiceAccountAssertionVerifier(tokenEndpoint: $0.defaultAudience, replayCache: nil) }
    }

    /// Compiles the org's providers, API keys and the audiences its routes ask for.
    ///
    /// A provider that cannot be trusted as configured (e.g. an Entra ID tenant given by domain
    /// name, whose token issuer is only known after discovery) is left out and reported in
    /// `skipped`, rather than failing the whole org.
    public convenience init(
        org: String, providers: [IdentityProvider], apiKeys: [OrgAPIKey], serviceAccounts: [ServiceAccount] = [],
        routeAudiences: Set<String>, environment: EdgeIdentityEnvironment, skipped: inout [String]
    ) {
        var opaque: [OpaqueTokenProvider] = []
        // Several providers may share an issuer (a web and a CLI client registration, say): the
        // issuer is trusted once, for the union of their audiences, with their rules in name order.
        var rules: [String: [ProviderRule]] = [:]
        var keySources: [String: (TrustedIssuer) -> KeySetCache] = [:]
        func trust(_ issuer: String, _ rule: ProviderRule, keys: @escaping (TrustedIssuer) -> KeySetCache) {
            rules[issuer, default: []].append(rule)
            if keySources[issuer] == nil { keySources[issuer] = keys }
        }
        for provider in providers.sorted(by: { $0.name < $1.name }) {
            switch provider.type {
            case .oidc:
                guard let oidc = provider.oidc else { continue }
                let claims = oidc.effectiveClaims
                let rule = ProviderRule(
                    name: provider.name,
                    kind: .external(
                        subject: claims.effectiveSubject, email: claims.effectiveEmail, groups: claims.effectiveGroups,
                        roles: nil),
                    audiences: Set(oidc.effectiveAudiences))
                trust(oidc.issuer, rule) { environment.registry.cache(for: $0) }
            case .azureAD:
                guard let azure = provider.azureAd else { continue }
                guard azure.tenantIsId else {
                    skipped.append(
                        "\(provider.name): the tenant is a domain name; give its directory (tenant) id for the edge to verify its tokens")
                    continue
                }
                let claims = azure.effectiveClaims
                let rule = ProviderRule(
                    name: provider.name,
                    kind: .external(
                        subject: claims.effectiveSubject, email: claims.effectiveEmail, groups: claims.effectiveGroups,
                        roles: claims.effectiveRoles),
                    audiences: Set(azure.effectiveAudiences))
                trust(azure.authority, rule) { environment.registry.cache(for: $0) }
            case .github:
                // GitHub's tokens are not JWTs: GitHub itself is asked (`OpaqueTokenChecking`).
                guard let github = provider.github, github.effectiveAcceptBearerTokens else { continue }
                opaque.append(OpaqueTokenProvider(name: provider.name, cacheSeconds: github.effectiveTokenCacheSeconds))
            }
        }
        if let issuer = environment.issuer {
            let rule = ProviderRule(name: Route.Auth.gatehouseProvider, kind: .gatehouse, audiences: [issuer.defaultAudience])
            trust(issuer.issuer, rule) { environment.registry.cache(for: $0, fetcher: issuer, policy: .inProcess) }
        }
        var entries: [TokenVerifier.Entry] = []
        for (issuer, issuerRules) in rules.sorted(by: { $0.key < $1.key }) {
            let audiences = issuerRules.reduce(routeAudiences) { $0.union($1.audiences) }
            do {
                let trusted = try TrustedIssuer(issuer: issuer, audiences: audiences)
                entries.append(TokenVerifier.Entry(issuer: trusted, keys: keySources[issuer]!(trusted)))
            } catch {
                skipped.append("\(issuerRules.map(\.name).joined(separator: ", ")): \(error)")
                rules[issuer] = nil
            }
        }
        var keyEntries: [String: APIKeyVerifier.Entry] = [:]
        for key in apiKeys {
            guard let id = key.keyId, let entry = APIKeyVerifier.Entry(key, org: org) else { continue }
            keyEntries[id] = entry
        }
        var accountKeys: [String: [RegisteredPublicKey]] = [:]
        for account in serviceAccounts {
            // Stored keys were validated on write; one that no longer parses is left out.
            accountKeys[account.name] = account.publicKeys.compactMap { try? RegisteredPublicKey.parse(pem: $0.pem) }
        }
        self.init(
            org: org, verifier: entries.isEmpty ? nil : try? TokenVerifier(entries: entries), providers: rules,
            apiKeys: APIKeyVerifier(entries: keyEntries), serviceAccounts: accountKeys, opaqueProviders: opaque,
            opaqueTokens: environment.opaqueTokens, sessions: environment.sessions, issuer: environment.issuer)
    }

    /// The caches this org's verifier reads, so the registry keeps them.
    public var keySetCaches: [KeySetCache] {
        guard let verifier else { return [] }
        return verifier.issuers.compactMap { verifier.keySetCache(for: $0.issuer) }
    }
}

/// What compiling identities needs beyond the store's documents: the key caches that outlive
/// snapshots, and Gatehouse's own issuer once the control listener has started it.
public struct EdgeIdentityEnvironment: Sendable {
    public let registry: KeySetCacheRegistry
    public let issuer: TokenIssuer?
    /// The login sessions of every org (the control listener signs users in).
    public let sessions: SessionDirectory?
    /// Checks GitHub tokens presented as bearer tokens (nil: they are refused).
    public let opaqueTokens: (any OpaqueTokenChecking)?

    public init(
        registry: KeySetCacheRegistry, issuer: TokenIssuer?, sessions: SessionDirectory? = nil,
        opaqueTokens: (any OpaqueTokenChecking)? = nil
    ) {
        self.registry = registry
        self.issuer = issuer
        self.sessions = sessions
        self.opaqueTokens = opaqueTokens
    }
}
