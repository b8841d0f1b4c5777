import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

@testable import GatehouseIdentity

/// The real path: OIDC discovery and the JWKS fetched with AsyncHTTPClient from a local server.
@Suite("JWKS over HTTP")
struct HTTPKeySetFetcherTests {
    /// A local issuer: discovery document and JWKS, with the Cache-Control it is given.
    struct LocalIssuer {
        let issuer = NIOLockedValueBox("")
        let requests = NIOLockedValueBox<[String]>([])
        let discoveryIssuerOverride = NIOLockedValueBox<String?>(nil)
        let jwks: Data
        let cacheControl: String

        func application() -> some ApplicationProtocol {
            let router = Router()
            router.get("/.well-known/openid-configuration") { _, _ -> Response in
                requests.withLockedValue { $0.append("discovery") }
                let issuer = issuer.withLockedValue { $0 }
                let named = discoveryIssuerOverride.withLockedValue { $0 } ?? issuer
                let document = try JSONSerialization.data(withJSONObject: ["issuer": named, "jwks_uri": issuer + "/keys"])
                return Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: document)))
            }
            router.get("/keys") { _, _ -> Response in
                requests.withLockedValue { $0.append("jwks") }
                return Response(
                    status: .ok, headers: [.contentType: "application/json", .cacheControl: cacheControl],
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: jwks)))
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        }
    }

    @Test("discovery, JWKS and Cache-Control through AsyncHTTPClient")
    func discoveryAndJWKS() async throws {
        let local = LocalIssuer(jwks: JWS.jwks([TestKey.p256.publicJWK()]), cacheControl: "public, max-age=900")
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await local.application().test(.live) { testClient in
                let port = try #require(testClient.port)
                let issuerURL = "http://127.0.0.1:\(port)"
                local.issuer.withLockedValue { $0 = issuerURL }
                let trusted = try TrustedIssuer(issuer: issuerURL, audiences: [Fixture.audience])
                let verifier = try TokenVerifier(issuers: [trusted], fetcher: HTTPKeySetFetcher(client: client))
                let now = Date()
                let token = try await TestKey.p256.token(
                    claims: Fixture.claims([
                        "iss": issuerURL, "iat": now.timeIntervalSince1970, "nbf": NSNull(),
                        "exp": now.timeIntervalSince1970 + 300,
                    ]))

                #expect(verifier.verifyCached(token, now: now) == .failure(.keySetUnavailable(issuer: issuerURL)))
                let verified = try await verifier.verify(token, now: now).get()
                #expect(verified.keyID == "ec-1")
                #expect(local.requests.withLockedValue { $0 } == ["discovery", "jwks"])
                let keySet = try #require(verifier.keySetCache(for: issuerURL)?.keySet)
                #expect(keySet.expiresAt == now.addingTimeInterval(900))

                // A discovery document naming another issuer is refused; the keys already
                // fetched stay in use.
                local.discoveryIssuerOverride.withLockedValue { $0 = "http://127.0.0.1:1" }
                let cache = try #require(verifier.keySetCache(for: issuerURL))
                let outcome = await cache.refresh(now: now.addingTimeInterval(60))
                #expect(outcome == .failed(.fetch(.issuerMismatch(url: issuerURL + HTTPKeySetFetcher.discoveryPath))))
                #expect(throws: Never.self) { try verifier.verifyCached(token, now: now.addingTimeInterval(60)).get() }
            }
        } catch {
            try await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    @Test("an unreachable issuer is a transport failure, not a crash")
    func unreachable() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let trusted = try TrustedIssuer(issuer: "http://127.0.0.1:1", keySource: .jwksURL("http://127.0.0.1:1/keys"), audiences: ["a"])
        let result: Result<FetchedKeySet, KeySetFetchError>
        do {
            result = .success(try await HTTPKeySetFetcher(client: client, timeout: .seconds(2)).fetchKeySet(for: trusted))
        } catch {
            result = .failure(error)
        }
        try await client.shutdown()
        guard case .failure(.transport(let url, _)) = result else {
            Issue.record("expected a transport failure, got \(result)")
            return
        }
        #expect(url == "http://127.0.0.1:1/keys")
    }
}
