import Foundation
import Testing

@testable import GatehouseIdentity

@Suite("Token verification")
struct TokenVerifierTests {
    let now = Fixture.now

    @Test("a valid RS256 token verifies and its claims are read")
    func validToken() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsa.token(
            claims: Fixture.claims([
                "scope": "read write", "scp": ["write", "admin"], "groups": ["devs", "ops"], "roles": "auditor",
                "email": "ada@example.test", "jti": "t-1", "tenant": ["id": "t42"],
            ]))
        let verified = try verifier.verifyCached(token, now: now).get()
        #expect(verified.issuer == Fixture.issuer)
        #expect(verified.subject == "user-1")
        #expect(verified.audiences == [Fixture.audience])
        #expect(verified.expiresAt == now.addingTimeInterval(600))
        #expect(verified.notBefore == now.addingTimeInterval(-10))
        #expect(verified.issuedAt == now.addingTimeInterval(-10))
        #expect(verified.scopes == ["read", "write", "admin"])
        #expect(verified.groups == ["devs", "ops"])
        #expect(verified.roles == ["auditor"])
        #expect(verified.email == "ada@example.test")
        #expect(verified.tokenID == "t-1")
        #expect(verified.keyID == "rsa-1")
        #expect(verified.algorithm == .rs256)
        #expect(verified.claims["tenant"] == .object(["id": .string("t42")]))
        let json = try JSONSerialization.jsonObject(with: verified.claimsJSON) as? [String: Any]
        #expect(json?["sub"] as? String == "user-1")
    }

    @Test("tokens signed with each allowed key type verify", arguments: [
        (TestKey.rsa, "PS256"), (TestKey.p256, "ES256"), (TestKey.p384, "ES384"), (TestKey.ed25519, "EdDSA"),
    ])
    func keyTypes(key: TestKey, algorithm: String) async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [key])
        let token = try await key.token(algorithm, claims: Fixture.claims())
        let verified = try verifier.verifyCached(token, now: now).get()
        #expect(verified.algorithm.rawValue == algorithm)
    }

    @Test("alg none is refused in any spelling", arguments: ["none", "None", "NONE", "nOnE"])
    func unsecured(spelling: String) async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try JWS.segment(["alg": spelling, "kid": "rsa-1"]) + "." + JWS.segment(Fixture.claims()) + "."
        #expect(verifier.verifyCached(token, now: now) == .failure(.unsecuredAlgorithm))
    }

    @Test("HS256 signed with the RSA public key's PEM as secret is refused (algorithm confusion)")
    func algorithmConfusion() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await JWS.hs256(
            secret: TestKey.rsa.publicKeyPEM, header: ["kid": "rsa-1", "typ": "JWT"], claims: Fixture.claims())
        #expect(verifier.verifyCached(token, now: now) == .failure(.algorithmNotAllowed(algorithm: "HS256")))
    }

    @Test("an algorithm the issuer is not allowed is refused")
    func algorithmNotAllowedForIssuer() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa], trusted: Fixture.trusted(algorithms: [.es256]))
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        #expect(verifier.verifyCached(token, now: now) == .failure(.algorithmNotAllowed(algorithm: "RS256")))
    }

    @Test("an allowed algorithm of another key family is refused for the key")
    func algorithmNotAllowedForKey() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa, .p256])
        // Signed by the EC key, but naming the RSA key's kid.
        let token = try await TestKey.p256.token(header: ["kid": "rsa-1"], claims: Fixture.claims())
        #expect(
            verifier.verifyCached(token, now: now)
                == .failure(.algorithmNotAllowedForKey(algorithm: "ES256", keyID: "rsa-1")))
    }

    @Test("a key whose JWK names its algorithm is used with that algorithm only")
    func jwkAlgorithmBindsKey() async throws {
        let fetcher = MemoryKeySetFetcher(keys: [TestKey.rsa.publicJWK(["alg": "RS256"])])
        let (verifier, _) = try await Fixture.verifier(keys: [], fetcher: fetcher)
        let pss = try await TestKey.rsa.token("PS256", claims: Fixture.claims())
        #expect(verifier.verifyCached(pss, now: now) == .failure(.algorithmNotAllowedForKey(algorithm: "PS256", keyID: "rsa-1")))
        let rs = try await TestKey.rsa.token("RS256", claims: Fixture.claims())
        #expect(throws: Never.self) { try verifier.verifyCached(rs, now: now).get() }
    }

    @Test("headers that carry a key or a key URL are refused", arguments: ["jku", "x5u", "jwk", "x5c"])
    func forbiddenHeaders(name: String) async throws {
        let (verifier, fetcher) = try await Fixture.verifier(keys: [.rsa])
        let values: [String: Any] = [
            "jku": "https://attacker.example/jwks", "x5u": "https://attacker.example/cert",
            "jwk": TestKey.rsaSecond.publicJWK(), "x5c": ["MIIB"],
        ]
        let token = try await TestKey.rsa.token(header: [name: values[name]!], claims: Fixture.claims())
        #expect(await verifier.verify(token, now: now) == .failure(.forbiddenHeader(name: name)))
        #expect(fetcher.fetchCount == 1, "nothing is fetched for such a token")
    }

    @Test("a crit header is refused")
    func critical() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsa.token(header: ["crit": ["exp"], "exp": 1], claims: Fixture.claims())
        #expect(verifier.verifyCached(token, now: now) == .failure(.criticalHeader))
    }

    @Test("typ must be JWT or at+jwt when present", arguments: [
        ("JWT", true), ("jwt", true), ("at+jwt", true), ("AT+JWT", true), ("application/at+jwt", true),
        ("", false), ("JWS", false), ("id_token+jwt", false), ("logout+jwt", false), ("dpop+jwt", false),
    ])
    func type(value: String, accepted: Bool) async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsa.token(header: ["typ": value], claims: Fixture.claims())
        let result = verifier.verifyCached(token, now: now)
        if accepted {
            #expect(throws: Never.self) { try result.get() }
        } else {
            #expect(result == .failure(.unexpectedType(type: value)))
        }
    }

    @Test("a token without typ is accepted")
    func noType() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsa.token(header: ["typ": NSNull()], claims: Fixture.claims())
        #expect(throws: Never.self) { try verifier.verifyCached(token, now: now).get() }
    }

    @Test("exp: refused once past by more than the skew, accepted within it")
    func expiry() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let exp = now.timeIntervalSince1970 - 61
        let expired = try await TestKey.rsa.token(claims: Fixture.claims(["exp": exp]))
        #expect(verifier.verifyCached(expired, now: now) == .failure(.expired(expiredAt: Date(timeIntervalSince1970: exp))))
        let withinSkew = try await TestKey.rsa.token(claims: Fixture.claims(["exp": now.timeIntervalSince1970 - 59]))
        #expect(throws: Never.self) { try verifier.verifyCached(withinSkew, now: now).get() }
        let noExpiry = try await TestKey.rsa.token(claims: Fixture.claims(["exp": NSNull()]))
        #expect(verifier.verifyCached(noExpiry, now: now) == .failure(.missingClaim(name: "exp")))
    }

    @Test("nbf: refused when further ahead than the skew")
    func notBefore() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let nbf = now.timeIntervalSince1970 + 61
        let early = try await TestKey.rsa.token(claims: Fixture.claims(["nbf": nbf]))
        #expect(verifier.verifyCached(early, now: now) == .failure(.notYetValid(notBefore: Date(timeIntervalSince1970: nbf))))
        let withinSkew = try await TestKey.rsa.token(claims: Fixture.claims(["nbf": now.timeIntervalSince1970 + 59]))
        #expect(throws: Never.self) { try verifier.verifyCached(withinSkew, now: now).get() }
    }

    @Test("iat: refused when further ahead than the skew")
    func issuedInFuture() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let iat = now.timeIntervalSince1970 + 120
        let token = try await TestKey.rsa.token(claims: Fixture.claims(["iat": iat, "nbf": NSNull()]))
        #expect(verifier.verifyCached(token, now: now) == .failure(.issuedInFuture(issuedAt: Date(timeIntervalSince1970: iat))))
    }

    @Test("a wrong or missing iss is refused")
    func issuer() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let wrong = try await TestKey.rsa.token(claims: Fixture.claims(["iss": "https://login.example.test/"]))
        #expect(verifier.verifyCached(wrong, now: now) == .failure(.untrustedIssuer))
        let missing = try await TestKey.rsa.token(claims: Fixture.claims(["iss": NSNull()]))
        #expect(verifier.verifyCached(missing, now: now) == .failure(.missingClaim(name: "iss")))
    }

    @Test("aud must name one of the accepted audiences")
    func audience() async throws {
        let (verifier, _) = try await Fixture.verifier(
            keys: [.rsa], trusted: Fixture.trusted(audiences: [Fixture.audience, "other-app"]))
        let wrong = try await TestKey.rsa.token(claims: Fixture.claims(["aud": "someone-else"]))
        #expect(verifier.verifyCached(wrong, now: now) == .failure(.audienceMismatch))
        let missing = try await TestKey.rsa.token(claims: Fixture.claims(["aud": NSNull()]))
        #expect(verifier.verifyCached(missing, now: now) == .failure(.missingAudience))
        let empty = try await TestKey.rsa.token(claims: Fixture.claims(["aud": [String]()]))
        #expect(verifier.verifyCached(empty, now: now) == .failure(.missingAudience))
        let anyOf = try await TestKey.rsa.token(claims: Fixture.claims(["aud": ["someone-else", "other-app"]]))
        #expect(try verifier.verifyCached(anyOf, now: now).get().audiences == ["someone-else", "other-app"])
    }

    @Test("an unknown kid is refused after the one allowed refresh")
    func unknownKeyID() async throws {
        let (verifier, fetcher) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsaSecond.token(claims: Fixture.claims())
        #expect(verifier.verifyCached(token, now: now) == .failure(.unknownKeyID(keyID: "rsa-2")))
        let later = now.addingTimeInterval(31)
        #expect(await verifier.verify(token, now: later) == .failure(.unknownKeyID(keyID: "rsa-2")))
        #expect(fetcher.fetchCount == 2, "one initial fetch and one refresh")
    }

    @Test("a tampered signature is refused")
    func tamperedSignature() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa, .p256, .ed25519])
        for key in [TestKey.rsa, .p256, .ed25519] {
            let token = try await key.token(claims: Fixture.claims())
            var signature = Base64URL.decode(token.split(separator: ".")[2])!
            signature[signature.count / 2] ^= 0x01
            let tampered = JWS.replacing(segment: 2, of: token, with: b64(signature))
            #expect(verifier.verifyCached(tampered, now: now) == .failure(.invalidSignature))
            let truncated = JWS.replacing(segment: 2, of: token, with: b64(signature.prefix(10)))
            #expect(verifier.verifyCached(truncated, now: now) == .failure(.invalidSignature))
        }
    }

    @Test("a tampered payload is refused")
    func tamperedPayload() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        let elevated = try JWS.segment(Fixture.claims(["sub": "admin"]))
        #expect(verifier.verifyCached(JWS.replacing(segment: 1, of: token, with: elevated), now: now) == .failure(.invalidSignature))
    }

    @Test("a token over 16 KiB is refused before it is parsed")
    func tooLarge() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        // Dots only: parsed, this would be a segment-count error.
        let token = String(repeating: ".", count: 16 * 1024 + 1)
        #expect(verifier.verifyCached(token, now: now) == .failure(.tooLarge(byteCount: 16_385, limit: 16_384)))
        let padded = try await TestKey.rsa.token(claims: Fixture.claims(["pad": String(repeating: "x", count: 16 * 1024)]))
        #expect(verifier.verifyCached(padded, now: now) == .failure(.tooLarge(byteCount: padded.utf8.count, limit: 16_384)))
    }

    @Test("malformed tokens are refused with the reason")
    func malformed() async throws {
        let (verifier, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        let parts = token.split(separator: ".").map(String.init)
        let cases: [(String, TokenError.MalformedReason)] = [
            ("", .segmentCount),
            (parts[0] + "." + parts[1], .segmentCount),
            (token + ".", .segmentCount),
            (token + ".x.y", .segmentCount),
            ("***." + parts[1] + "." + parts[2], .base64(.header)),
            (parts[0] + "=." + parts[1] + "." + parts[2], .base64(.header)),
            (b64(Array("not json".utf8)) + "." + parts[1] + "." + parts[2], .headerNotJSONObject),
            (b64(Array("[1]".utf8)) + "." + parts[1] + "." + parts[2], .headerNotJSONObject),
            (parts[0] + ".a+b/." + parts[2], .base64(.payload)),
            (parts[0] + "." + b64(Array("{".utf8)) + "." + parts[2], .payloadNotJSONObject),
            (parts[0] + "." + parts[1] + ".%%", .base64(.signature)),
        ]
        for (candidate, reason) in cases {
            #expect(verifier.verifyCached(candidate, now: now) == .failure(.malformed(reason)), "\(reason)")
        }
        let badType = try await TestKey.rsa.token(claims: Fixture.claims(["exp": "tomorrow"]))
        #expect(verifier.verifyCached(badType, now: now) == .failure(.malformed(.memberType(name: "exp"))))
        let badAlg = try JWS.segment(["alg": 256]) + "." + parts[1] + "." + parts[2]
        #expect(verifier.verifyCached(badAlg, now: now) == .failure(.malformed(.memberType(name: "alg"))))
        let noAlg = try JWS.segment(["kid": "rsa-1"]) + "." + parts[1] + "." + parts[2]
        #expect(verifier.verifyCached(noAlg, now: now) == .failure(.missingAlgorithm))
    }

    @Test("without a kid, the token verifies only against a single-key set")
    func missingKeyID() async throws {
        let (single, _) = try await Fixture.verifier(keys: [.rsa])
        let token = try await TestKey.rsa.token(header: ["kid": NSNull()], claims: Fixture.claims())
        #expect(throws: Never.self) { try single.verifyCached(token, now: now).get() }
        let (several, _) = try await Fixture.verifier(keys: [.rsa, .p256])
        #expect(several.verifyCached(token, now: now) == .failure(.missingKeyID))
    }

    @Test("before any successful fetch the key set is unavailable")
    func keySetUnavailable() async throws {
        let fetcher = MemoryKeySetFetcher(keys: [])
        fetcher.fail(with: .httpStatus(url: "https://login.example.test/jwks", status: 503))
        let verifier = try TokenVerifier(issuers: [Fixture.trusted()], fetcher: fetcher)
        let token = try await TestKey.rsa.token(claims: Fixture.claims())
        #expect(verifier.verifyCached(token, now: now) == .failure(.keySetUnavailable(issuer: Fixture.issuer)))
        #expect(await verifier.verify(token, now: now) == .failure(.keySetUnavailable(issuer: Fixture.issuer)))
        #expect(fetcher.fetchCount == 1)
    }

    @Test("issuer configuration refuses what would weaken verification")
    func trustedIssuerValidation() {
        #expect(throws: TrustedIssuerError.noAudience(issuer: "https://a.test")) {
            try TrustedIssuer(issuer: "https://a.test", audiences: [])
        }
        #expect(throws: TrustedIssuerError.noAlgorithm(issuer: "https://a.test")) {
            try TrustedIssuer(issuer: "https://a.test", audiences: ["x"], allowedAlgorithms: [])
        }
        #expect(throws: TrustedIssuerError.clockSkewOutOfRange(issuer: "https://a.test", seconds: 3600)) {
            try TrustedIssuer(issuer: "https://a.test", audiences: ["x"], clockSkew: 3600)
        }
        #expect(SignatureAlgorithm(rawValue: "HS256") == nil && SignatureAlgorithm(rawValue: "none") == nil)
        #expect(throws: TrustedIssuerError.duplicateIssuer(issuer: Fixture.issuer)) {
            try TokenVerifier(issuers: [Fixture.trusted(), Fixture.trusted()], fetcher: MemoryKeySetFetcher(keys: []))
        }
    }
}

@Suite("Claim values")
struct ClaimValueTests {
    @Test("JSON values keep their types: 0 and 1 are numbers, not booleans")
    func decoding() throws {
        let json = #"{"a":1,"b":0,"c":true,"d":1.5,"e":null,"f":[1,"x",false],"g":{"h":"i"},"exp":1800000000}"#
        let object = try #require(ClaimValue.decodeObject(Array(json.utf8)))
        #expect(object["a"] == .number(1))
        #expect(object["b"] == .number(0))
        #expect(object["c"] == .bool(true))
        #expect(object["d"] == .number(1.5))
        #expect(object["e"] == .null)
        #expect(object["f"] == .array([.number(1), .string("x"), .bool(false)]))
        #expect(object["g"] == .object(["h": .string("i")]))
        let reencoded = String(decoding: ClaimValue.encodeObject(object), as: UTF8.self)
        #expect(reencoded.contains(#""exp":1800000000"#))
        #expect(ClaimValue.decodeObject(Array("[1,2]".utf8)) == nil)
    }
}
