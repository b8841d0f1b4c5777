import AsyncHTTPClient
import GatehouseModel

/// The `LoginProvider` of an org's identity provider, by its `type`.
public enum LoginProviderFactory {
    /// `clientSecret` is the provider's unsealed client secret, if one is stored; `assertionSigner`
    /// signs `private_key_jwt` client assertions.
    public static func make(
        _ provider: IdentityProvider, clientSecret: String?, client: HTTPClient,
        assertionSigner: (any ClientAssertionSigning)? = nil
    ) throws(LoginError) -> any LoginProvider {
        switch provider.type {
        case .oidc:
            guard let oidc = provider.oidc else { throw .notConfigured("the 'oidc' block is missing") }
            return OIDCLoginProvider(oidc: oidc, clientSecret: clientSecret, client: client, assertionSigner: assertionSigner)
        case .azureAD:
            guard let azureAd = provider.azureAd else { throw .notConfigured("the 'azureAd' block is missing") }
            return OIDCLoginProvider(azureAd: azureAd, clientSecret: clientSecret, client: client, assertionSigner: assertionSigner)
        case .github:
            guard let github = provider.github else { throw .notConfigured("the 'github' block is missing") }
            return GitHubLoginProvider(github: github, clientSecret: clientSecret, client: client)
        }
    }
}
