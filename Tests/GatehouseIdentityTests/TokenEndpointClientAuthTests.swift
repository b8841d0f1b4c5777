import Foundation
import GatehouseModel
import Testing

@testable import GatehouseIdentity

/// The pure parts of issue 14's interop: which client authentication the code exchange uses and
/// what it sends, the RFC 9207 `iss` check of the callback, and telling ID tokens from access tokens.
@Suite("Token endpoint client authentication, response issuer, ID token shape")
struct TokenEndpointClientAuthTests {
    struct Signer: ClientAssertionSigning {
        func clientAssertion(clientID: String, audience: String, now: Date) throws(TokenIssuerError) -> String {
            "assertion-for-\(clientID)-at-\(audience)"
        }
    }

    @Test("absent a setting, Basic when discovery allows it, then post; a configured method wins")
    func choosing() throws {
        let both = ["client_secret_post", "client_secret_basic"]
        #expect(try TokenEndpointClientAuth.choose(configured: nil, supported: both, hasSecret: true) == .method(.clientSecretBasic))
        #expect(
            try TokenEndpointClientAuth.choose(configured: nil, supported: ["client_secret_post"], hasSecret: true)
                == .method(.clientSecretPost))
        #expect(
            try TokenEndpointClientAuth.choose(configured: .clientSecretPost, supported: both, hasSecret: true)
                == .method(.clientSecretPost))
        #expect(
            try TokenEndpointClientAuth.choose(configured: .privateKeyJWT, supported: both, hasSecret: false)
                == .method(.privateKeyJWT))
        #expect(try TokenEndpointClientAuth.choose(configured: nil, supported: both, hasSecret: false) == .publicClient)
        #expect(throws: LoginError.self) {
            try TokenEndpointClientAuth.choose(configured: nil, supported: ["private_key_jwt"], hasSecret: true)
        }
        #expect(throws: LoginError.self) {
            try TokenEndpointClientAuth.choose(configured: .clientSecretBasic, supported: both, hasSecret: false)
        }
    }

    @Test("each method sends its credentials, and only those")
    func credentials() throws {
        let basic = try TokenEndpointClientAuth.method(.clientSecretBasic).credentials(
            clientID: "web app", secret: "s:cr%t", tokenEndpoint: "https://idp/token", signer: nil, now: Date())
        #expect(basic.form.isEmpty)
        // RFC 6749 §2.3.1: form-encoded parts, then Base64.
        #expect(basic.headers.first?.1 == "Basic " + Data("web%20app:s%3Acr%25t".utf8).base64EncodedString())

        let post = try TokenEndpointClientAuth.method(.clientSecretPost).credentials(
            clientID: "web", secret: "s", tokenEndpoint: "https://idp/token", signer: nil, now: Date())
        #expect(post.form.map { "\($0.0)=\($0.1)" } == ["client_id=web", "client_secret=s"])
        #expect(post.headers.isEmpty)

        let jwt = try TokenEndpointClientAuth.method(.privateKeyJWT).credentials(
            clientID: "web", secret: "ignored", tokenEndpoint: "https://idp/token", signer: Signer(), now: Date())
        let form = Dictionary(uniqueKeysWithValues: jwt.form)
        #expect(form["client_assertion"] == "assertion-for-web-at-https://idp/token")
        #expect(form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        #expect(form["client_secret"] == nil && jwt.headers.isEmpty)
        #expect(throws: LoginError.self) {
            try TokenEndpointClientAuth.method(.privateKeyJWT).credentials(
                clientID: "web", secret: nil, tokenEndpoint: "https://idp/token", signer: nil, now: Date())
        }
    }

    @Test("Gatehouse's client assertion is an ES256 JWT for the token endpoint, verifiable with its JWKS")
    func issuerSignsAssertions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        defer { try? FileManager.default.removeItem(at: directory) }
        let issuer = try TokenIssuer(
            configuration: .init(externalURL: "https://gatehouse.test"), dataDirectory: directory,
            masterKey: Data(repeating: 7, count: 32))
        let now = Date()
        let assertion = try issuer.clientAssertion(clientID: "web", audience: "https://idp/token", now: now)
        let parts = assertion.split(separator: ".").map(String.init)
        try #require(parts.count == 3)
        let headerBytes = try #require(Base64URL.decode(parts[0]))
        let claimBytes = try #require(Base64URL.decode(parts[1]))
        let header = try #require(ClaimValue.decodeObject(headerBytes))
        let claims = try #require(ClaimValue.decodeObject(claimBytes))
        #expect(header["alg"]?.stringValue == "ES256" && header["kid"]?.stringValue == issuer.currentKeyID)
        #expect(claims["iss"]?.stringValue == "web" && claims["sub"]?.stringValue == "web")
        #expect(claims["aud"]?.stringValue == "https://idp/token")
        let expiry = try #require(claims["exp"]?.numberValue)
        let issuedAt = try #require(claims["iat"]?.numberValue)
        let lifetime = expiry - issuedAt
        #expect(lifetime == TokenIssuer.clientAssertionLifetime)
        #expect(claims["jti"]?.stringValue?.isEmpty == false)
        let other = try issuer.clientAssertion(clientID: "web", audience: "https://idp/token", now: now)
        #expect(other != assertion, "every assertion has its own jti")
    }

    @Test("RFC 9207: an iss must be the provider's, and is required when discovery promises it")
    func responseIssuer() throws {
        var endpoints = OIDCEndpoints(issuer: "https://idp", authorization: "https://idp/a", token: "https://idp/t", jwks: "https://idp/k")
        try OIDCLoginProvider.checkResponseIssuer(nil, endpoints: endpoints)
        try OIDCLoginProvider.checkResponseIssuer("https://idp", endpoints: endpoints)
        #expect(throws: LoginError.self) { try OIDCLoginProvider.checkResponseIssuer("https://evil.example", endpoints: endpoints) }
        #expect(throws: LoginError.self) { try OIDCLoginProvider.checkResponseIssuer("https://idp/", endpoints: endpoints) }
        endpoints.sendsIssuerInResponse = true
        try OIDCLoginProvider.checkResponseIssuer("https://idp", endpoints: endpoints)
        #expect(throws: LoginError.self) { try OIDCLoginProvider.checkResponseIssuer(nil, endpoints: endpoints) }
    }

    static func token(_ claims: [String: ClaimValue]) -> VerifiedToken {
        VerifiedToken(
            issuer: "https://idp", subject: "alice", audiences: ["gatehouse"], expiresAt: Date().addingTimeInterval(60),
            algorithm: .rs256, claims: claims)
    }

    @Test("ID tokens are told from access tokens by their claims")
    func idTokenShape() {
        #expect(Self.token(["nonce": .string("n")]).looksLikeIDToken)
        #expect(Self.token(["at_hash": .string("h"), "scope": .string("openid")]).looksLikeIDToken)
        #expect(Self.token(["azp": .string("web")]).looksLikeIDToken)
        #expect(!Self.token(["azp": .string("web"), "scp": .string("read")]).looksLikeIDToken)
        #expect(!Self.token(["azp": .string("daemon"), "roles": .array([.string("jobs")])]).looksLikeIDToken)
        #expect(!Self.token(["scope": .string("openid email"), "client_id": .string("web")]).looksLikeIDToken)
        #expect(!Self.token([:]).looksLikeIDToken)
    }
}
