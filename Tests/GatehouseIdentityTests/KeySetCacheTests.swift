import Foundation
import Testing

@testable import GatehouseIdentity

@Suite("JWKS cache")
struct KeySetCacheTests {
    let now = Fixture.now

    @Test("a flood of unknown-kid tokens causes at most one fetch")
    func unknownKeyFlood() async throws {
        let fetcher = MemoryKeySetFetcher(keys: [TestKey.rsa.publicJWK()], delay: .milliseconds(50))
        let (verifier, _) = try await Fixture.verifier(keys: [], fetcher: fetcher)
        #expect(fetcher.fetchCount == 1)
        let later = now.addingTimeInterval(31)
        let tokens = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<50 {
                group.addTask { try await TestKey.rsa.with(keyID: "forged-\(index)").token(claims: Fixture.claims()) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let results = await withTaskGroup(of: Result<VerifiedToken, TokenError>.self) { group in
            for token in tokens { group.addTask { await verifier.verify(token, now: later) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { if case .failure(.unknownKeyID) = $0 { true } else { false } })
        #expect(fetcher.fetchCount == 2, "the initial fetch and exactly one refresh")
    }

    @Test("concurrent first verifications share one fetch")
    func coldStart() async throws {
        let fetcher = MemoryKeySetFetcher(keys: [TestKey.rsa.publicJWK()], delay: .milliseconds(50))
        let verifier = try TokenVerifier(issuers: [Fixture.trusted()], fetcher: fetcher)
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        let results = await withTaskGroup(of: Result<VerifiedToken, TokenError>.self) { group in
            for _ in 0..<20 { group.addTask { await verifier.verify(token, now: Fixture.now) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { (try? $0.get()) != nil })
        #expect(fetcher.fetchCount == 1)
    }

    @Test("refreshes are rate limited to one per 30 seconds")
    func rateLimit() async throws {
        let fetcher = MemoryKeySetFetcher(keys: [TestKey.rsa.publicJWK()])
        let cache = KeySetCache(issuer: Fixture.trusted(), fetcher: fetcher)
        #expect(await cache.refresh(now: now) == .refreshed(keyCount: 1))
        #expect(await cache.refresh(now: now.addingTimeInterval(29)) == .rateLimited)
        #expect(await cache.refresh(now: now.addingTimeInterval(30)) == .refreshed(keyCount: 1))
        #expect(fetcher.fetchCount == 2)
    }

    @Test("a failed refresh keeps the previous keys")
    func failureKeepsKeys() async throws {
        let (verifier, fetcher) = try await Fixture.verifier(keys: [.rsa])
        let cache = try #require(verifier.keySetCache(for: Fixture.issuer))
        let token = try await TestKey.rsa.token(claims: Fixture.claims())

        fetcher.fail(with: .httpStatus(url: "https://login.example.test/jwks", status: 500))
        let outcome = await cache.refresh(now: now.addingTimeInterval(60))
        #expect(outcome == .failed(.fetch(.httpStatus(url: "https://login.example.test/jwks", status: 500))))
        #expect(throws: Never.self) { try verifier.verifyCached(token, now: now.addingTimeInterval(60)).get() }

        fetcher.serve(document: Data("not json".utf8))
        #expect(await cache.refresh(now: now.addingTimeInterval(120)) == .failed(.invalidKeySet("the document is not a JSON object")))
        fetcher.serve(keys: [TestKey.rsa.publicJWK(["use": "enc"])])
        #expect(await cache.refresh(now: now.addingTimeInterval(180)) == .failed(.noUsableKeys(skipped: 1)))
        #expect(throws: Never.self) { try verifier.verifyCached(token, now: now.addingTimeInterval(180)).get() }
    }

    @Test("a rotated key is picked up without a restart, and a withdrawn one stops verifying")
    func rotation() async throws {
        let (verifier, fetcher) = try await Fixture.verifier(keys: [.rsa])
        let old = try await TestKey.rsa.token(claims: Fixture.claims())
        let new = try await TestKey.p256.token(claims: Fixture.claims())
        fetcher.serve(keys: [TestKey.p256.publicJWK()])
        let later = now.addingTimeInterval(45)
        #expect(try await verifier.verify(new, now: later).get().keyID == "ec-1")
        #expect(await verifier.verify(old, now: later) == .failure(.unknownKeyID(keyID: "rsa-1")))
    }

    @Test("a stale key set is refreshed by the next asynchronous verification")
    func staleRefresh() async throws {
        let fetcher = MemoryKeySetFetcher(keys: [TestKey.rsa.publicJWK()], maxAge: 600)
        let (verifier, _) = try await Fixture.verifier(keys: [], fetcher: fetcher)
        let cache = try #require(verifier.keySetCache(for: Fixture.issuer))
        #expect(cache.keySet?.expiresAt == now.addingTimeInterval(600))
        let token = try await TestKey.rsa.token(claims: Fixture.claims(["exp": now.timeIntervalSince1970 + 3600]))
        _ = await verifier.verify(token, now: now.addingTimeInterval(599))
        #expect(fetcher.fetchCount == 1)
        // Verified with the stale keys at once; the refresh runs in the background.
        await #expect(throws: Never.self) { try await verifier.verify(token, now: now.addingTimeInterval(600)).get() }
        // Joins the background refresh if it still runs; rate limited if it is done.
        await cache.refresh(now: now.addingTimeInterval(600))
        #expect(fetcher.fetchCount == 2)
        #expect(cache.keySet?.fetchedAt == now.addingTimeInterval(600))
    }

    @Test("Cache-Control max-age is read and bounded", arguments: [
        (["max-age=600"], 600.0, 600.0),
        (["public, max-age=7200, must-revalidate"], 7200, 7200),
        (["max-age=5"], 5, 300),
        (["max-age=999999"], 999_999, 86_400),
        (["no-cache"], 0, 300),
        (["no-store", "max-age=600"], 0, 300),
        (["private"], nil, 3600),
        ([], nil, 3600),
        (["max-age=abc"], nil, 3600),
    ] as [([String], TimeInterval?, TimeInterval)])
    func cacheControl(headers: [String], maxAge: TimeInterval?, lifetime: TimeInterval) {
        #expect(CacheControl.maxAge(headers) == maxAge)
        #expect(KeySetRefreshPolicy().lifetime(maxAge: CacheControl.maxAge(headers)) == lifetime)
    }

    @Test("JWKS keys that may not be used are skipped")
    func skippedKeys() async throws {
        let document = JWS.jwks([
            TestKey.rsa.publicJWK(),
            TestKey.rsaSecond.publicJWK(["use": "enc"]),
            TestKey.p256.publicJWK(["kid": "ops", "key_ops": ["encrypt"]]),
            TestKey.p256.publicJWK(["kid": "hmac", "kty": "oct", "k": "c2VjcmV0"]),
            TestKey.p256.publicJWK(["kid": "weird", "kty": "XYZ"]),
            TestKey.p256.publicJWK(["kid": "hs", "alg": "HS256"]),
            TestKey.rsaSecond.publicJWK(["kid": "private", "d": "AQAB"]),
            TestKey.rsa.publicJWK(),  // duplicate kid
            TestKey.p256.publicJWK(["kid": "ec-on-wrong-curve", "crv": "P-384"]),
            TestKey.p256.publicJWK(["kid": "es384-claimed", "alg": "ES384"]),
            ["kty": "RSA", "kid": "small", "n": b64(Array(repeating: 0xFF, count: 128)), "e": "AQAB"],
            TestKey.ed25519.publicJWK(),
            TestKey.p256.publicJWK(),
        ])
        let parsed = try await JWKSParser.parse(document, allowedAlgorithms: SignatureAlgorithm.defaultAllowed)
        #expect(Set(parsed.keys.compactMap(\.keyID)) == ["rsa-1", "ed-1", "ec-1"])
        #expect(parsed.skipped.count == 10)
        #expect(parsed.keys.first { $0.keyID == "rsa-1" }?.algorithms == [.rs256, .rs384, .rs512, .ps256])
        #expect(parsed.keys.first { $0.keyID == "ec-1" }?.algorithms == [.es256])
    }

    @Test("a key set with too many keys is refused")
    func tooManyKeys() async throws {
        let document = JWS.jwks((0..<101).map { TestKey.p256.publicJWK(["kid": "k\($0)"]) })
        await #expect(throws: KeySetRefreshError.invalidKeySet("the document has 101 keys, more than 100")) {
            try await JWKSParser.parse(document, allowedAlgorithms: SignatureAlgorithm.defaultAllowed)
        }
    }
}
