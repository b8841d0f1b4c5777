import Foundation
import Testing

@testable import GatehouseIdentity

/// No error may carry a token, a signature or key material into a log line.
@Suite("Error descriptions leak no credentials")
struct ErrorDescriptionTests {
    let now = Fixture.now

    /// One name per case, by an exhaustive switch: adding a case to `TokenError` without adding
    /// it to `everyTokenErrorIsProducedAndRedacted` below fails to compile here first.
    static func name(_ error: TokenError) -> String {
        switch error {
        case .tooLarge: "tooLarge"
        case .malformed: "malformed"
        case .missingAlgorithm: "missingAlgorithm"
        case .unsecuredAlgorithm: "unsecuredAlgorithm"
        case .algorithmNotAllowed: "algorithmNotAllowed"
        case .algorithmNotAllowedForKey: "algorithmNotAllowedForKey"
        case .forbiddenHeader: "forbiddenHeader"
        case .criticalHeader: "criticalHeader"
        case .unexpectedType: "unexpectedType"
        case .untrustedIssuer: "untrustedIssuer"
        case .missingKeyID: "missingKeyID"
        case .unknownKeyID: "unknownKeyID"
        case .keySetUnavailable: "keySetUnavailable"
        case .invalidSignature: "invalidSignature"
        case .missingClaim: "missingClaim"
        case .expired: "expired"
        case .notYetValid: "notYetValid"
        case .issuedInFuture: "issuedInFuture"
        case .missingAudience: "missingAudience"
        case .audienceMismatch: "audienceMismatch"
        }
    }

    static let allCaseNames: Set<String> = [
        "tooLarge", "malformed", "missingAlgorithm", "unsecuredAlgorithm", "algorithmNotAllowed",
        "algorithmNotAllowedForKey", "forbiddenHeader", "criticalHeader", "unexpectedType", "untrustedIssuer",
        "missingKeyID", "unknownKeyID", "keySetUnavailable", "invalidSignature", "missingClaim", "expired",
        "notYetValid", "issuedInFuture", "missingAudience", "audienceMismatch",
    ]

    @Test("every TokenError case, produced by a real token, describes itself without the token")
    func everyTokenErrorIsProducedAndRedacted() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa, .p256])
        let (empty, _) = try await Fixture.verifier(
            keys: [], fetcher: {
                let fetcher = MemoryKeySetFetcher(keys: [])
                fetcher.fail(with: .transport(url: "https://login.example.test/jwks", reason: "refused"))
                return fetcher
            }())
        let rsa = TestKey.rsa
        // A secret-looking subject, so a description that echoed claims would be caught too.
        func claims(_ overrides: [String: Any] = [:]) -> [String: Any] {
            Fixture.claims(["sub": "secret-subject-4f1c"].merging(overrides) { $1 })
        }
        let good = try await rsa.token(claims: claims())
        let parts = good.split(separator: ".").map(String.init)
        var signature = Base64URL.decode(parts[2])!
        signature[0] ^= 0xFF

        let tokens: [(TokenVerifier, String)] = [
            (verifier, String(repeating: "A", count: 17_000)),
            (verifier, parts[0] + "." + parts[1]),
            (verifier, try JWS.segment(["kid": "rsa-1"]) + "." + parts[1] + "." + parts[2]),
            (verifier, try JWS.segment(["alg": "none"]) + "." + parts[1] + "."),
            (verifier, try await JWS.hs256(secret: rsa.publicKeyPEM, header: ["kid": "rsa-1"], claims: claims())),
            (verifier, try await TestKey.p256.token(header: ["kid": "rsa-1"], claims: claims())),
            (verifier, try await rsa.token(header: ["jwk": rsa.publicJWK()], claims: claims())),
            (verifier, try await rsa.token(header: ["crit": ["b64"]], claims: claims())),
            (verifier, try await rsa.token(header: ["typ": "logout+jwt"], claims: claims())),
            (verifier, try await rsa.token(claims: claims(["iss": "https://evil.test"]))),
            (verifier, try await rsa.token(header: ["kid": NSNull()], claims: claims())),
            (verifier, try await TestKey.rsaSecond.token(claims: claims())),
            (empty, good),
            (verifier, parts[0] + "." + parts[1] + "." + b64(signature)),
            (verifier, try await rsa.token(claims: claims(["exp": NSNull()]))),
            (verifier, try await rsa.token(claims: claims(["exp": now.timeIntervalSince1970 - 3600]))),
            (verifier, try await rsa.token(claims: claims(["nbf": now.timeIntervalSince1970 + 3600]))),
            (verifier, try await rsa.token(claims: claims(["iat": now.timeIntervalSince1970 + 3600, "nbf": NSNull()]))),
            (verifier, try await rsa.token(claims: claims(["aud": NSNull()]))),
            (verifier, try await rsa.token(claims: claims(["aud": "elsewhere"]))),
        ]
        var produced: Set<String> = []
        for (verifier, token) in tokens {
            guard case .failure(let error) = verifier.verifyCached(token, now: now) else {
                Issue.record("a token meant to fail verified")
                continue
            }
            produced.insert(Self.name(error))
            Self.expectRedacted("\(error)", of: token)
            Self.expectRedacted(String(reflecting: error), of: token)
        }
        #expect(produced == Self.allCaseNames)
    }

    @Test("assertion, API key and issuer errors describe themselves without secrets")
    func otherErrors() async throws {
        let key = APIKey.generate()
        for error in [APIKeyError.malformed, .unknownKey, .mismatch, .expired] {
            #expect(!"\(error)".contains(key.value))
        }
        let issued = try TokenIssuerTests.makeIssuer().issuer.issueAccessToken(
            AccessTokenRequest(subject: "u", audiences: ["a"]), now: now)
        #expect(!"\(issued)".contains(issued.token))
        #expect(!String(reflecting: issued).contains(issued.token))
        var dumped = ""
        dump(issued, to: &dumped)
        #expect(!dumped.contains(issued.token))
        #expect(!"\(key)".contains(key.value) && !String(reflecting: key).contains(key.value))

        let privatePEM = TestKey.p256.privateKeyPEM
        #expect(throws: PublicKeyError.privateKeyGiven) { try RegisteredPublicKey.parse(pem: privatePEM) }
        #expect(!"\(PublicKeyError.privateKeyGiven)".contains("MIG"))
    }

    static func expectRedacted(_ description: String, of token: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!description.contains(token), sourceLocation: sourceLocation)
        for segment in token.split(separator: ".") where segment.count >= 16 {
            #expect(!description.contains(segment), "a token segment leaked: \(description)", sourceLocation: sourceLocation)
        }
        #expect(!description.contains("secret-subject-4f1c"), sourceLocation: sourceLocation)
    }
}
