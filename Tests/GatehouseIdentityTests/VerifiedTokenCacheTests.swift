import Foundation
import Testing

@testable import GatehouseIdentity

@Suite("Verified-token cache")
struct VerifiedTokenCacheTests {
    let now = Fixture.now

    func verified(subject: String = "user-1", expiresIn seconds: TimeInterval = 600) -> VerifiedToken {
        VerifiedToken(
            issuer: Fixture.issuer, subject: subject, audiences: [Fixture.audience],
            expiresAt: now.addingTimeInterval(seconds), algorithm: .rs256)
    }

    @Test("an entry lives until exp or five minutes, whichever is first")
    func lifetime() {
        let cache = VerifiedTokenCache()
        let shortLived = TokenDigest("short")
        let longLived = TokenDigest("long")
        cache.insert(verified(expiresIn: 60), for: shortLived, now: now)
        cache.insert(verified(expiresIn: 3600), for: longLived, now: now)
        #expect(cache.lookup(shortLived, now: now.addingTimeInterval(59)) != nil)
        #expect(cache.lookup(shortLived, now: now.addingTimeInterval(60)) == nil)
        #expect(cache.lookup(longLived, now: now.addingTimeInterval(299)) != nil)
        #expect(cache.lookup(longLived, now: now.addingTimeInterval(300)) == nil)
        #expect(cache.count == 0, "expired entries are dropped when found")
        cache.insert(verified(expiresIn: -1), for: shortLived, now: now)
        #expect(cache.count == 0, "an already expired token is not stored")
    }

    @Test("the cache stays within its capacity and keeps recently used entries")
    func capacity() {
        let cache = VerifiedTokenCache(capacity: 3)
        let digests = (0..<3).map { TokenDigest("token-\($0)") }
        for (index, digest) in digests.enumerated() { cache.insert(verified(subject: "u\(index)"), for: digest, now: now) }
        // A hit marks an entry; the unmarked one goes first.
        #expect(cache.lookup(digests[0], now: now)?.subject == "u0")
        #expect(cache.lookup(digests[2], now: now)?.subject == "u2")
        cache.insert(verified(subject: "u3"), for: TokenDigest("token-3"), now: now)
        #expect(cache.count == 3)
        #expect(cache.lookup(digests[1], now: now) == nil)
        #expect(cache.lookup(digests[0], now: now) != nil)
        #expect(cache.lookup(digests[2], now: now) != nil)
        for index in 4..<1000 { cache.insert(verified(), for: TokenDigest("token-\(index)"), now: now) }
        #expect(cache.count == 3)
    }

    @Test("verify(using:) caches successes only, and never the token itself")
    func verifyThroughCache() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let cache = VerifiedTokenCache()
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        let bad = try await TestKey.rsa.token(claims: Fixture.claims(["aud": "elsewhere"]))
        #expect(try cache.verify(token, now: now, using: verifier).get().subject == "user-1")
        #expect(cache.verify(bad, now: now, using: verifier) == .failure(.audienceMismatch))
        #expect(cache.count == 1)
        #expect(cache.lookup(TokenDigest(token), now: now) != nil)

        var dumped = ""
        dump(cache, to: &dumped)
        #expect(!dumped.contains(token))
        for segment in token.split(separator: ".") { #expect(!dumped.contains(segment)) }
    }

    @Test("a cached verdict is served without the verifier's keys")
    func hitNeedsNoKeys() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let (emptyVerifier, _) = try await Fixture.verifier(keys: [.p256])
        let cache = VerifiedTokenCache()
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        _ = cache.verify(token, now: now, using: verifier)
        #expect(throws: Never.self) { try cache.verify(token, now: now, using: emptyVerifier).get() }
        cache.removeAll()
        #expect(cache.verify(token, now: now, using: emptyVerifier) == .failure(.unknownKeyID(keyID: "rsa-1")))
    }

    @Test("the shared cache verifies, refreshing keys when needed")
    func shared() async throws {
        let fetcher = MemoryKeySetFetcher(keys: [TestKey.rsa.publicJWK()])
        let verifier = try TokenVerifier(issuers: [Fixture.trusted()], fetcher: fetcher)
        let cache = SharedVerifiedTokenCache(capacity: 10)
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        #expect(try await cache.verify(token, now: now, using: verifier).get().subject == "user-1")
        #expect(try await cache.verify(token, now: now, using: verifier).get().subject == "user-1")
        #expect(fetcher.fetchCount == 1)
        #expect(cache.count == 1)
    }
}
