import Foundation
import GatehouseIdentity
import GatehouseModel
import Testing

@testable import GatehouseEdge

/// Several providers on one issuer (issue 14): the issuer is trusted once for the union of their
/// audiences, and each token is attributed to the provider whose audience it carries.
@Suite struct ProviderAttributionTests {
    static let issuer = "https://idp.example"

    static func provider(_ name: String, audiences: Set<String>) -> IdentityProvider {
        IdentityProvider(name: name, oidc: .init(issuer: issuer, clientId: name, audiences: audiences.sorted()))
    }

    static func token(audiences: [String]) -> VerifiedToken {
        VerifiedToken(
            issuer: issuer, subject: "alice", audiences: audiences, expiresAt: Date().addingTimeInterval(60),
            algorithm: .rs256, claims: ["scope": .string("openid")])
    }

    static func rules(_ auth: Route.Auth) -> RouteAuthRules { RouteAuthRules(auth) }

    @Test func oneIssuerIsTrustedOnceForTheUnionOfTheAudiences() throws {
        var skipped: [String] = []
        let identity = OrgIdentity(
            org: "acme", providers: [Self.provider("web", audiences: ["web-app"]), Self.provider("cli", audiences: ["cli-app"])],
            apiKeys: [], routeAudiences: [], environment: EdgeIdentityEnvironment(registry: KeySetCacheRegistry(fetcher: NoFetcher()), issuer: nil),
            skipped: &skipped)
        #expect(skipped.isEmpty)
        let rules = try #require(identity.providers[Self.issuer])
        #expect(rules.map(\.name) == ["cli", "web"])
        let trusted = try #require(identity.verifier?.issuers.first { $0.issuer == Self.issuer })
        #expect(trusted.audiences == Set(["web-app", "cli-app"]))
    }

    @Test func eachTokenGoesToTheProviderWhoseAudienceItCarries() {
        let candidates = [
            OrgIdentity.ProviderRule(name: "cli", kind: .gatehouse, audiences: ["cli-app"]),
            OrgIdentity.ProviderRule(name: "web", kind: .gatehouse, audiences: ["web-app"]),
        ]
        let any = Self.rules(Route.Auth(accept: [.jwt]))
        #expect(EdgeAuthenticator.attribute(Self.token(audiences: ["web-app"]), to: candidates, rules: any)?.name == "web")
        #expect(EdgeAuthenticator.attribute(Self.token(audiences: ["cli-app"]), to: candidates, rules: any)?.name == "cli")
        #expect(EdgeAuthenticator.attribute(Self.token(audiences: ["other"]), to: candidates, rules: any) == nil)
        // Carrying both: the one the route admits.
        let webOnly = Self.rules(Route.Auth(accept: [.jwt], providers: ["web"]))
        #expect(EdgeAuthenticator.attribute(Self.token(audiences: ["cli-app", "web-app"]), to: candidates, rules: webOnly)?.name == "web")
        // The route's own audiences decide acceptance; attribution falls back to an admitted provider.
        let own = Self.rules(Route.Auth(accept: [.jwt], providers: ["web"], audiences: ["api://orders"]))
        #expect(EdgeAuthenticator.attribute(Self.token(audiences: ["api://orders"]), to: candidates, rules: own)?.name == "web")
        #expect(EdgeAuthenticator.attribute(Self.token(audiences: ["web-app"]), to: candidates, rules: own) == nil)
    }
}

/// Key sets are never fetched here: only the trust set-up is inspected.
private struct NoFetcher: KeySetFetching {
    func fetchKeySet(for trusted: TrustedIssuer) async throws(KeySetFetchError) -> FetchedKeySet {
        throw .unknownIssuer(issuer: trusted.issuer)
    }
}
