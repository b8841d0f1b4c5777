import AsyncHTTPClient
import Foundation
import GatehouseModel
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import GatehouseIdentity

/// The login providers against a local stand-in of each provider (OIDC discovery, JWKS, token
/// endpoint, Microsoft Graph, GitHub's OAuth and REST API), over real HTTP.
@Suite("Login providers")
struct LoginProviderTests {
    /// What the stand-in puts in the next ID token, and what it saw.
    final class Stage: Sendable {
        let base = NIOLockedValueBox("")
        let idClaims = NIOLockedValueBox<[String: String]>([:])
        let extraClaims = NIOLockedValueBox<[String: Bool]>([:])
        let tokenForms = NIOLockedValueBox<[String]>([])
        let tokenAuthorizations = NIOLockedValueBox<[String]>([])
        let graphCalls = NIOLockedValueBox(0)
    }

    static func json(_ object: Any, headers: HTTPFields = [:]) throws -> Response {
        var all = headers
        all[.contentType] = "application/json"
        return Response(status: .ok, headers: all, body: .init(byteBuffer: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object))))
    }

    static func application(_ stage: Stage) -> some ApplicationProtocol {
        let router = Router()
        router.get("/.well-known/openid-configuration") { _, _ in
            let base = stage.base.withLockedValue { $0 }
            return try json([
                "issuer": base, "authorization_endpoint": base + "/authorize", "token_endpoint": base + "/token",
                "jwks_uri": base + "/jwks",
            ])
        }
        router.get("/jwks") { _, _ in try json(["keys": [TestKey.p256.publicJWK()]]) }
        router.post("/token") { request, _ in
            let body = try await request.body.collect(upTo: 65536)
            stage.tokenForms.withLockedValue { $0.append(String(buffer: body)) }
            stage.tokenAuthorizations.withLockedValue { $0.append(request.headers[.authorization] ?? "") }
            let now = Date().timeIntervalSince1970
            var claims: [String: Any] = [
                "iss": stage.base.withLockedValue { $0 }, "sub": "alice", "aud": "gatehouse", "iat": now, "exp": now + 300,
                "email": "alice@example.com", "groups": ["eng", "ops"], "name": "Alice",
            ]
            for (name, value) in stage.idClaims.withLockedValue({ $0 }) { claims[name] = value }
            for (name, value) in stage.extraClaims.withLockedValue({ $0 }) { claims[name] = value }
            let token = try await TestKey.p256.token(claims: claims)
            return try json(["id_token": token, "access_token": "graph-token", "token_type": "Bearer"])
        }
        router.post("/graph/v1.0/me/getMemberObjects") { request, _ in
            stage.graphCalls.withLockedValue { $0 += 1 }
            guard request.headers[.authorization] == "Bearer graph-token" else { return Response(status: .unauthorized) }
            return try json(["value": (0..<250).map { "group-\($0)" }])
        }
        // GitHub (Enterprise layout: web at the root, REST under /api/v3).
        router.post("/login/oauth/access_token") { request, _ in
            let body = String(buffer: try await request.body.collect(upTo: 65536))
            stage.tokenForms.withLockedValue { $0.append(body) }
            guard body.contains("client_secret=gh-secret"), body.contains("code=good") else {
                return try json(["error": "bad_verification_code"])
            }
            return try json(["access_token": "gho_user", "token_type": "bearer"])
        }
        router.get("/api/v3/user") { _, _ in try json(["id": 1001, "login": "alice", "name": "Alice", "email": NSNull()]) }
        router.get("/api/v3/user/emails") { _, _ in
            try json([
                ["email": "old@example.com", "primary": false, "verified": true],
                ["email": "alice@example.com", "primary": true, "verified": true],
            ])
        }
        router.get("/api/v3/user/orgs") { request, _ in
            let base = stage.base.withLockedValue { $0 }
            if request.uri.queryParameters.get("page") == "2" {
                // A next link off the API host must not be followed (it would get the token).
                return try json([["login": "Globex"]], headers: [HTTPField.Name("Link")!: "<http://127.0.0.1:1/steal?page=3>; rel=\"next\""])
            }
            return try json(
                [["login": "acme"]], headers: [HTTPField.Name("Link")!: "<\(base)/api/v3/user/orgs?per_page=100&page=2>; rel=\"next\", <\(base)/api/v3/user/orgs?page=2>; rel=\"last\""])
        }
        router.get("/api/v3/user/teams") { _, _ in try json([["slug": "eng", "organization": ["login": "acme"]]]) }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// Runs `body` with the stand-in listening and an HTTP client.
    static func withProvider(_ body: @Sendable (Stage, HTTPClient) async throws -> Void) async throws {
        let stage = Stage()
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await application(stage).test(.live) { testClient in
                let port = try #require(testClient.port)
                stage.base.withLockedValue { $0 = "http://127.0.0.1:\(port)" }
                try await body(stage, client)
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    static func oidc(_ stage: Stage, client: HTTPClient, claims: IdentityProvider.Claims? = nil) -> OIDCLoginProvider {
        OIDCLoginProvider(
            oidc: .init(issuer: stage.base.withLockedValue { $0 }, clientId: "gatehouse", claims: claims),
            clientSecret: "s3cret", client: client)
    }

    static func callback(nonce: String = "nonce-1") -> AuthorizationCallback {
        AuthorizationCallback(code: "good", redirectURI: "https://gh/auth/acme/corp/callback", codeVerifier: "v" + String(repeating: "x", count: 42), nonce: nonce)
    }

    @Test("OIDC: the authorization URL carries PKCE S256, state, nonce and the redirect URI")
    func authorizationURL() async throws {
        try await Self.withProvider { stage, client in
            let url = try await Self.oidc(stage, client: client).authorizationURL(
                for: AuthorizationRequest(redirectURI: "https://gh/cb", state: "st", nonce: "nn", codeChallenge: "ch", loginHint: "alice"))
            let components = try #require(URLComponents(string: url))
            let query = Dictionary(uniqueKeysWithValues: (components.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            #expect(url.hasPrefix(stage.base.withLockedValue { $0 } + "/authorize?"))
            #expect(query["response_type"] == "code")
            #expect(query["code_challenge"] == "ch")
            #expect(query["code_challenge_method"] == "S256")
            #expect(query["state"] == "st")
            #expect(query["nonce"] == "nn")
            #expect(query["redirect_uri"] == "https://gh/cb")
            #expect(query["scope"] == "openid email profile")
            #expect(query["login_hint"] == "alice")
        }
    }

    @Test("OIDC: code exchange with Basic client authentication (discovery names no method), ID token verified, claims mapped")
    func oidcLogin() async throws {
        try await Self.withProvider { stage, client in
            stage.idClaims.withLockedValue { $0 = ["nonce": "nonce-1", "upn": "alice@corp", "roles": "admins"] }
            let provider = Self.oidc(stage, client: client, claims: .init(subject: "upn", groups: "roles"))
            let identity = try await provider.complete(Self.callback())
            #expect(identity == LoginIdentity(subject: "alice@corp", email: "alice@example.com", name: "Alice", groups: ["admins"]))
            let form = try #require(stage.tokenForms.withLockedValue { $0.last })
            #expect(form.contains("grant_type=authorization_code"))
            #expect(form.contains("code_verifier=v"))
            // Discovery lists no token_endpoint_auth_methods_supported: client_secret_basic, its default.
            #expect(!form.contains("client_secret"))
            #expect(stage.tokenAuthorizations.withLockedValue { $0.last } == "Basic " + Data("gatehouse:s3cret".utf8).base64EncodedString())
            #expect(form.contains("redirect_uri=https%3A%2F%2Fgh%2Fauth%2Facme%2Fcorp%2Fcallback"))
        }
    }

    @Test("OIDC: a nonce other than the login's is refused")
    func nonceMismatch() async throws {
        try await Self.withProvider { stage, client in
            stage.idClaims.withLockedValue { $0 = ["nonce": "someone-elses"] }
            await #expect(throws: LoginError.nonceMismatch) { try await Self.oidc(stage, client: client).complete(Self.callback()) }
            stage.idClaims.withLockedValue { $0 = [:] }
            await #expect(throws: LoginError.nonceMismatch) { try await Self.oidc(stage, client: client).complete(Self.callback()) }
        }
    }

    @Test("OIDC: an ID token for another client or from another issuer is refused")
    func wrongAudienceOrIssuer() async throws {
        try await Self.withProvider { stage, client in
            stage.idClaims.withLockedValue { $0 = ["nonce": "nonce-1", "aud": "another-client"] }
            await #expect(throws: LoginError.idToken(.audienceMismatch)) {
                try await Self.oidc(stage, client: client).complete(Self.callback())
            }
            stage.idClaims.withLockedValue { $0 = ["nonce": "nonce-1", "iss": "https://elsewhere.example"] }
            await #expect(throws: LoginError.idToken(.untrustedIssuer)) {
                try await Self.oidc(stage, client: client).complete(Self.callback())
            }
        }
    }

    @Test("Entra ID: a group overage is resolved through Microsoft Graph, and cached")
    func graphOverage() async throws {
        try await Self.withProvider { stage, client in
            let base = stage.base.withLockedValue { $0 }
            stage.idClaims.withLockedValue { $0 = ["nonce": "nonce-1"] }
            stage.extraClaims.withLockedValue { $0 = ["hasgroups": true] }
            let provider = OIDCLoginProvider(
                settings: .init(
                    authority: base, issuerRule: .exact, clientID: "gatehouse", clientSecret: "s", scopes: ["openid"],
                    subjectClaim: "sub", emailClaim: "email", groupsClaim: "groups", graphBaseUrl: base + "/graph"),
                client: client)
            let identity = try await provider.complete(Self.callback())
            #expect(identity.groups.count == 250)
            _ = try await provider.complete(Self.callback())
            #expect(stage.graphCalls.withLockedValue { $0 } == 1)
        }
    }

    @Test("Entra ID: authority and issuer rules")
    func azureAuthority() throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        defer { try? client.syncShutdown() }
        let provider = OIDCLoginProvider(
            azureAd: .init(tenant: "contoso.onmicrosoft.com", clientId: "app", baseUrl: "https://login.example/"),
            clientSecret: nil, client: client)
        #expect(provider.settings.authority == "https://login.example/contoso.onmicrosoft.com/v2.0")
        #expect(provider.settings.graphBaseUrl == "https://graph.microsoft.com")
        let rule = OIDCDiscovery.IssuerRule.entraTenant(baseUrl: "https://login.example")
        #expect(OIDCDiscovery.accepts("https://login.example/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0", authority: provider.settings.authority, rule: rule))
        #expect(!OIDCDiscovery.accepts("https://evil.example/72f988bf/v2.0", authority: provider.settings.authority, rule: rule))
        #expect(!OIDCDiscovery.accepts("https://login.example/a/b/v2.0", authority: provider.settings.authority, rule: rule))
        #expect(GraphGroups.signalsOverage(["_claim_names": .object(["groups": .string("src1")])]))
        #expect(!GraphGroups.signalsOverage(["groups": .array([])]))
    }

    static func github(_ stage: Stage, client: HTTPClient, orgs: [String]? = nil, teams: [String]? = nil) -> GitHubLoginProvider {
        let base = stage.base.withLockedValue { $0 }
        return GitHubLoginProvider(
            github: .init(clientId: "Ov23", baseUrl: base + "/api/v3", webUrl: base, allowedOrganizations: orgs, allowedTeams: teams),
            clientSecret: "gh-secret", client: client)
    }

    @Test("GitHub: code exchange, user, primary email, every page of orgs, teams as groups")
    func githubLogin() async throws {
        try await Self.withProvider { stage, client in
            let identity = try await Self.github(stage, client: client, orgs: ["globex"]).complete(Self.callback())
            #expect(identity.subject == "1001")
            #expect(identity.email == "alice@example.com")
            #expect(identity.groups == ["github-org:acme", "github-org:globex", "github-team:acme/eng"])
            let url = try await Self.github(stage, client: client).authorizationURL(
                for: AuthorizationRequest(redirectURI: "https://gh/cb", state: "st", nonce: "n", codeChallenge: "ch"))
            #expect(url.hasPrefix(stage.base.withLockedValue { $0 } + "/login/oauth/authorize?client_id=Ov23"))
            #expect(url.contains("code_challenge_method=S256"))
        }
    }

    @Test("GitHub: users outside the allowed organizations and teams are refused")
    func githubNotAllowed() async throws {
        try await Self.withProvider { stage, client in
            await #expect(throws: LoginError.self) {
                try await Self.github(stage, client: client, orgs: ["initech"], teams: ["acme/ops"]).complete(Self.callback())
            }
            let byTeam = try await Self.github(stage, client: client, teams: ["ACME/eng"]).complete(Self.callback())
            #expect(byTeam.subject == "1001")
            var bad = Self.callback()
            bad.code = "stolen"
            await #expect(throws: LoginError.exchangeRefused(error: "bad_verification_code")) {
                try await Self.github(stage, client: client).complete(bad)
            }
        }
    }

    @Test("Link headers: rel=next among others")
    func linkHeader() {
        #expect(GitHubLoginProvider.nextLink(#"<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last""#) == "https://a/x?page=2")
        #expect(GitHubLoginProvider.nextLink(#"<https://a/x?page=1>; rel="prev""#) == nil)
    }
}
