import GatehouseEdge
import GatehouseIdentity

/// Checks the GitHub tokens the edge is presented (`acceptBearerTokens`) with the org's GitHub
/// provider as configured, client secret included — which is why this lives on the control
/// side and the edge's snapshot only names the provider.
struct GitHubBearerTokens: OpaqueTokenChecking {
    let providers: LoginProviders

    func identity(ofToken token: String, org: String, provider: String) async -> Result<LoginIdentity, LoginError> {
        let login: any LoginProvider
        do {
            login = try await providers.provider(org: org, name: provider)
        } catch {
            return .failure(.notConfigured("identity provider \(provider) is not usable: \(error)"))
        }
        guard let github = login as? GitHubLoginProvider else {
            return .failure(.notConfigured("identity provider \(provider) is not a GitHub provider"))
        }
        do {
            return .success(try await github.bearerIdentity(token))
        } catch {
            return .failure(error)
        }
    }
}
