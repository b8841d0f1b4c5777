import Crypto
import CryptoExtras
import Foundation
import Testing

@testable import GatehouseIdentity

@Suite("Service accounts")
struct ServiceAccountTests {
    static let tokenEndpoint = "https://gatehouse.example.test/auth/token"
    let now = Fixture.now
    let account = ServiceAccountID("acme/deployer")!

    func claims(_ overrides: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "iss": "acme/deployer", "sub": "acme/deployer", "aud": Self.tokenEndpoint,
            "iat": now.timeIntervalSince1970, "exp": now.timeIntervalSince1970 + 300, "jti": UUID().uuidString,
        ]
        for (name, value) in overrides { claims[name] = value }
        return claims.filter { !($0.value is NSNull) }
    }

    func verifier(replayCache: AssertionReplayCache? = AssertionReplayCache()) -> ServiceAccountAssertionVerifier {
        ServiceAccountAssertionVerifier(tokenEndpoint: Self.tokenEndpoint, replayCache: replayCache)
    }

    // MARK: Registered keys

    @Test("RSA, P-256 and Ed25519 public keys register with kind and SPKI fingerprint", arguments: [
        (TestKey.rsa, "rsa-2048"), (TestKey.p256, "ec-p256"), (TestKey.ed25519, "ed25519"),
    ])
    func registerKey(key: TestKey, kind: String) throws {
        let registered = try RegisteredPublicKey.parse(pem: key.publicKeyPEM)
        #expect(registered.kind.description == kind)
        // Independently: SHA-256 over the DER inside the PEM (SPKI), base64url.
        let body = key.publicKeyPEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        let der = try #require(Data(base64Encoded: body))
        #expect(registered.fingerprint == b64(SHA256.hash(data: der)))
    }

    @Test("keys that must not be registered are refused with the reason")
    func refusedKeys() throws {
        let small = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey.pemRepresentation
        #expect(throws: PublicKeyError.rsaKeyTooSmall(bits: 1024)) { try RegisteredPublicKey.parse(pem: small) }
        #expect(throws: PublicKeyError.unsupportedCurve(name: "P-384")) {
            try RegisteredPublicKey.parse(pem: TestKey.p384.publicKeyPEM)
        }
        #expect(throws: PublicKeyError.privateKeyGiven) { try RegisteredPublicKey.parse(pem: TestKey.rsa.privateKeyPEM) }
        #expect(throws: PublicKeyError.notPEM) { try RegisteredPublicKey.parse(pem: "ssh-ed25519 AAAAC3Nza") }
        #expect(throws: PublicKeyError.notSubjectPublicKeyInfo) {
            try RegisteredPublicKey.parse(pem: "-----BEGIN RSA PUBLIC KEY-----\nMAA=\n-----END RSA PUBLIC KEY-----\n")
        }
        #expect(throws: PublicKeyError.unsupportedKey) {
            try RegisteredPublicKey.parse(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        }
        #expect(throws: PublicKeyError.severalPEMBlocks) {
            try RegisteredPublicKey.parse(pem: TestKey.p256.publicKeyPEM + TestKey.ed25519.publicKeyPEM)
        }
    }

    // MARK: Assertions

    @Test("a valid assertion verifies with each kind of registered key", arguments: [
        (TestKey.rsa, "RS256"), (TestKey.rsa, "PS256"), (TestKey.p256, "ES256"), (TestKey.ed25519, "EdDSA"),
    ])
    func validAssertion(key: TestKey, algorithm: String) async throws {
        let registered = try RegisteredPublicKey.parse(pem: key.publicKeyPEM)
        let assertion = try await key.token(algorithm, header: ["kid": registered.fingerprint], claims: claims())
        #expect(ServiceAccountAssertionVerifier.claimedServiceAccount(in: assertion) == .success(account))
        let verified = try await verifier().verify(assertion, from: account, keys: [registered], now: now).get()
        #expect(verified.serviceAccount == account)
        #expect(verified.keyFingerprint == registered.fingerprint)
        #expect(verified.principal.kind == .serviceAccount)
        #expect(verified.principal.org == "acme")
        #expect(verified.principal.subject == "acme/deployer")
    }

    @Test("any of several registered keys may sign, without a kid")
    func severalKeys() async throws {
        let keys = try [TestKey.rsa, .p256, .ed25519].map { try RegisteredPublicKey.parse(pem: $0.publicKeyPEM) }
        let assertion = try await TestKey.p256.token(header: ["kid": NSNull()], claims: claims())
        let verified = try await verifier().verify(assertion, from: account, keys: keys, now: now).get()
        #expect(verified.keyFingerprint == keys[1].fingerprint)
    }

    @Test("assertions that break RFC 7523's rules are refused")
    func refusedAssertions() async throws {
        let registered = try RegisteredPublicKey.parse(pem: TestKey.p256.publicKeyPEM)
        let other = try RegisteredPublicKey.parse(pem: TestKey.ed25519.publicKeyPEM)
        let verifier = verifier()
        func check(_ claims: [String: Any], _ expected: AssertionError, keys: [RegisteredPublicKey]? = nil,
                   header: [String: Any] = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws {
            let assertion = try await TestKey.p256.token(header: header, claims: claims)
            let result = await verifier.verify(assertion, from: account, keys: keys ?? [registered], now: now)
            #expect(result == .failure(expected), sourceLocation: sourceLocation)
        }
        try await check(claims(["aud": "https://elsewhere.test/token"]), .token(.audienceMismatch))
        try await check(claims(["aud": NSNull()]), .token(.missingAudience))
        try await check(claims(["sub": "acme/other"]), .subjectMismatch)
        try await check(claims(["iss": "acme/other", "sub": "acme/other"]), .wrongServiceAccount)
        try await check(claims(["iss": "Acme/Deployer"]), .invalidIssuer)
        try await check(claims(["exp": now.timeIntervalSince1970 + 7200]), .lifetimeTooLong(maximumSeconds: 3600))
        try await check(claims(["exp": NSNull()]), .token(.missingClaim(name: "exp")))
        try await check(claims(["iat": NSNull()]), .token(.missingClaim(name: "iat")))
        try await check(
            claims(["exp": now.timeIntervalSince1970 - 120]),
            .token(.expired(expiredAt: now.addingTimeInterval(-120))))
        try await check(
            claims(["iat": now.timeIntervalSince1970 + 120]),
            .token(.issuedInFuture(issuedAt: now.addingTimeInterval(120))))
        // Signed by the account's key, checked against another account's P-256 key.
        let unrelated = try RegisteredPublicKey.parse(pem: P256.Signing.PrivateKey().publicKey.pemRepresentation)
        try await check(claims(), .token(.invalidSignature), keys: [unrelated])
        try await check(claims(), .noUsableKey, keys: [other])
        try await check(claims(), .noUsableKey, keys: [])
        try await check(claims(), .token(.forbiddenHeader(name: "jwk")), header: ["jwk": TestKey.p256.publicJWK()])

        let hmac = try await JWS.hs256(secret: TestKey.p256.publicKeyPEM, header: [:], claims: claims())
        #expect(await verifier.verify(hmac, from: account, keys: [registered], now: now) == .failure(.token(.algorithmNotAllowed(algorithm: "HS256"))))
    }

    @Test("a jti is accepted once")
    func replay() async throws {
        let registered = try RegisteredPublicKey.parse(pem: TestKey.ed25519.publicKeyPEM)
        let verifier = verifier()
        let assertion = try await TestKey.ed25519.token(claims: claims(["jti": "once"]))
        await #expect(throws: Never.self) { try await verifier.verify(assertion, from: account, keys: [registered], now: now).get() }
        #expect(await verifier.verify(assertion, from: account, keys: [registered], now: now) == .failure(.replayed))
        let requiring = ServiceAccountAssertionVerifier(tokenEndpoint: Self.tokenEndpoint, requiresTokenID: true)
        let withoutID = try await TestKey.ed25519.token(claims: claims(["jti": NSNull()]))
        #expect(await requiring.verify(withoutID, from: account, keys: [registered], now: now) == .failure(.missingTokenID))
    }

    @Test("the replay cache is bounded and forgets expired entries")
    func replayCacheBound() {
        let cache = AssertionReplayCache(capacity: 2)
        let until = now.addingTimeInterval(60)
        #expect(cache.record(tokenID: "a", issuer: "acme/x", until: until, now: now) == .firstUse)
        #expect(cache.record(tokenID: "a", issuer: "acme/y", until: until, now: now) == .firstUse, "per issuer")
        #expect(cache.record(tokenID: "a", issuer: "acme/x", until: until, now: now) == .replayed)
        #expect(cache.record(tokenID: "b", issuer: "acme/x", until: until, now: now) == .full)
        let later = now.addingTimeInterval(61)
        #expect(cache.record(tokenID: "b", issuer: "acme/x", until: later.addingTimeInterval(60), now: later) == .firstUse)
        #expect(cache.count == 1)
    }
}
