import Foundation
import Testing

@testable import GatehouseIdentity

@Suite("Gatehouse as issuer")
struct TokenIssuerTests {
    static let externalURL = "https://gatehouse.example.test"
    static let masterKey = [UInt8](repeating: 7, count: 32)
    let now = Fixture.now

    static func temporaryDirectory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-identity-\(UUID().uuidString)")
    }

    static func makeIssuer(
        directory: URL = temporaryDirectory(), masterKey: [UInt8] = masterKey, now: Date = Fixture.now
    ) throws -> (issuer: TokenIssuer, directory: URL) {
        let issuer = try TokenIssuer(
            configuration: .init(externalURL: externalURL + "/"), dataDirectory: directory, masterKey: masterKey, now: now)
        return (issuer, directory)
    }

    /// A verifier that trusts the issuer and reads its JWKS in process.
    static func verifier(for issuer: TokenIssuer, audience: String = "edge") throws -> TokenVerifier {
        try TokenVerifier(
            issuers: [TrustedIssuer(issuer: issuer.issuer, audiences: [audience], allowedAlgorithms: [.es256])],
            fetcher: issuer)
    }

    @Test("an issued access token verifies with the issuer's own JWKS")
    func issueAndVerify() async throws {
        let (issuer, directory) = try Self.makeIssuer()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(issuer.issuer == Self.externalURL, "the trailing slash is dropped")
        let issued = try issuer.issueAccessToken(
            AccessTokenRequest(
                subject: "user-7", audiences: ["edge"], org: "acme", groups: ["devs"], scopes: ["functions:invoke", "runs:read"],
                clientID: "cli", lifetime: 600),
            now: now)
        let header = JWS.decodeSegment(issued.token, 0)
        #expect(header["typ"] as? String == "at+jwt")
        #expect(header["alg"] as? String == "ES256")
        #expect(header["kid"] as? String == issuer.currentKeyID)

        let verified = try await Self.verifier(for: issuer).verify(issued.token, now: now).get()
        #expect(verified.issuer == Self.externalURL)
        #expect(verified.subject == "user-7")
        #expect(verified.audiences == ["edge"])
        #expect(verified.string("org") == "acme")
        #expect(verified.groups == ["devs"])
        #expect(verified.scopes == ["functions:invoke", "runs:read"])
        #expect(verified.string("client_id") == "cli")
        #expect(verified.tokenID == issued.tokenID)
        #expect(verified.issuedAt == now)
        #expect(verified.expiresAt == now.addingTimeInterval(600))
        #expect(issued.expiresAt == verified.expiresAt)
    }

    @Test("keys rotate by age, and the listing shows the current key first and when retired ones leave")
    func rotationByAge() throws {
        let (issuer, directory) = try Self.makeIssuer()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = issuer.currentKeyID
        #expect(try issuer.rotateIfOlder(than: 3600, now: now.addingTimeInterval(3599)) == nil)
        let second = try #require(try issuer.rotateIfOlder(than: 3600, now: now.addingTimeInterval(3600)))
        #expect(second != first && issuer.currentKeyID == second)
        let keys = issuer.signingKeys(now: now.addingTimeInterval(3600))
        #expect(keys.map(\.keyId) == [second, first])
        #expect(keys.map(\.status) == [.current, .retired])
        // Published for the longest token lifetime plus the skew after it signed its last token.
        #expect(keys[1].publishedUntil == now.addingTimeInterval(3600 + 3600 + 60))
        #expect(issuer.signingKeys(now: now.addingTimeInterval(3600 + 3600 + 61)).map(\.keyId) == [second])
    }

    @Test("an identity token names one function, ends with the caller's credential, and is no bearer token")
    func identityToken() async throws {
        let (issuer, directory) = try Self.makeIssuer()
        defer { try? FileManager.default.removeItem(at: directory) }
        let function = FunctionAudience(org: "acme", function: "hello")
        let caller = Principal(
            kind: .user, subject: "alice", org: "acme", groups: ["ops", "eng"], scopes: ["read"], provider: "corp",
            expiresAt: now.addingTimeInterval(20))
        let issued = try issuer.issueIdentityToken(for: caller, function: function, now: now)
        #expect(JWS.decodeSegment(issued.token, 0)["typ"] as? String == "gatehouse-identity+jwt")
        let claims = JWS.decodeSegment(issued.token, 1)
        #expect(claims["aud"] as? String == "urn:gatehouse:function:acme/hello")
        #expect(claims["sub"] as? String == "alice" && claims["org"] as? String == "acme")
        #expect(claims["kind"] as? String == "user" && claims["idp"] as? String == "corp")
        #expect(claims["groups"] as? [String] == ["eng", "ops"] && claims["scope"] as? String == "read")
        // The caller's credential expires in 20 s: so does what the function is told.
        #expect(issued.expiresAt == now.addingTimeInterval(20))

        // Presented back to Gatehouse as a bearer token (by a function replaying it), it is refused.
        let verifier = try Self.verifier(for: issuer, audience: function.audience)
        let result = await verifier.verify(issued.token, now: now)
        #expect(result == .failure(.unexpectedType(type: "gatehouse-identity+jwt")))
    }

    @Test("tokens signed before and after a rotation both verify; the new key is picked up by refresh")
    func rotation() async throws {
        let (issuer, directory) = try Self.makeIssuer()
        defer { try? FileManager.default.removeItem(at: directory) }
        let request = AccessTokenRequest(subject: "user-7", audiences: ["edge"], lifetime: 3600)
        let verifier = try Self.verifier(for: issuer)
        let before = try issuer.issueAccessToken(request, now: now)
        #expect(await verifier.verify(before.token, now: now).map(\.subject) == .success("user-7"))

        let oldKeyID = issuer.currentKeyID
        let newKeyID = try issuer.rotate(now: now.addingTimeInterval(10))
        #expect(newKeyID != oldKeyID && issuer.currentKeyID == newKeyID)
        let after = try issuer.issueAccessToken(request, now: now.addingTimeInterval(40))
        #expect(after.keyID == newKeyID)

        // The running verifier has only the old key; an unknown kid refreshes it.
        let later = now.addingTimeInterval(40)
        #expect(verifier.verifyCached(after.token, now: later) == .failure(.unknownKeyID(keyID: newKeyID)))
        #expect(await verifier.verify(after.token, now: later).map(\.keyID) == .success(newKeyID))
        #expect(await verifier.verify(before.token, now: later).map(\.keyID) == .success(oldKeyID))

        // Right after a rotation the interval still holds, unless the caller says the keys changed.
        let third = try issuer.rotate(now: now.addingTimeInterval(50))
        let latest = try issuer.issueAccessToken(request, now: now.addingTimeInterval(50))
        let cache = try #require(verifier.keySetCache(for: issuer.issuer))
        #expect(await verifier.verify(latest.token, now: now.addingTimeInterval(50)) == .failure(.unknownKeyID(keyID: third)))
        #expect(await cache.refresh(now: now.addingTimeInterval(50), knownChanged: true) == .refreshed(keyCount: 3))
        #expect(verifier.verifyCached(latest.token, now: now.addingTimeInterval(50)).map(\.keyID) == .success(third))

        let published = { (at: Date) in
            let document = try JSONSerialization.jsonObject(with: issuer.jwksDocument(now: at)) as? [String: Any]
            return ((document?["keys"] as? [[String: Any]]) ?? []).compactMap { $0["kid"] as? String }
        }
        // Retired at now+10 and now+50; kept for the maximum lifetime (3600) plus the skew (60).
        #expect(Set(try published(now.addingTimeInterval(10 + 3660))) == [oldKeyID, newKeyID, third])
        #expect(Set(try published(now.addingTimeInterval(10 + 3661))) == [newKeyID, third])
        #expect(try published(now.addingTimeInterval(50 + 3661)) == [third])
    }

    @Test("keys are stored sealed, mode 0600, and survive a restart")
    func keyFile() throws {
        let (issuer, directory) = try Self.makeIssuer()
        defer { try? FileManager.default.removeItem(at: directory) }
        let keyID = try issuer.rotate(now: now)
        let file = directory.appendingPathComponent(SigningKeyFile.fileName)
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let raw = try Data(contentsOf: file)
        #expect(String(decoding: raw, as: UTF8.self).contains("privateKey") == false, "the file is not plaintext JSON")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)

        let (reopened, _) = try Self.makeIssuer(directory: directory)
        #expect(reopened.currentKeyID == keyID)
        #expect(reopened.jwksDocument(now: now) == issuer.jwksDocument(now: now))

        #expect(throws: TokenIssuerError.keyFileUnreadable(reason: "it does not open with the master key (another key, or altered)")) {
            try Self.makeIssuer(directory: directory, masterKey: [UInt8](repeating: 8, count: 32))
        }
        var tampered = raw
        tampered[tampered.count - 1] ^= 0x01
        try tampered.write(to: file)
        #expect(throws: TokenIssuerError.keyFileUnreadable(reason: "it does not open with the master key (another key, or altered)")) {
            try Self.makeIssuer(directory: directory)
        }
        #expect(throws: TokenIssuerError.wrongMasterKeyLength(byteCount: 16)) {
            try Self.makeIssuer(directory: Self.temporaryDirectory(), masterKey: [UInt8](repeating: 1, count: 16))
        }
    }

    @Test("the discovery document names Gatehouse's endpoints")
    func discovery() throws {
        let (issuer, directory) = try Self.makeIssuer()
        defer { try? FileManager.default.removeItem(at: directory) }
        let document = try #require(try JSONSerialization.jsonObject(with: issuer.discoveryDocument()) as? [String: Any])
        #expect(document["issuer"] as? String == Self.externalURL)
        #expect(document["jwks_uri"] as? String == Self.externalURL + "/.well-known/jwks.json")
        #expect(document["token_endpoint"] as? String == Self.externalURL + "/auth/token")
        #expect(document["authorization_endpoint"] == nil, "Gatehouse serves no authorization endpoint")
        #expect((document["grant_types_supported"] as? [String])?.contains("authorization_code") == false)
        #expect(document["device_authorization_endpoint"] as? String == Self.externalURL + "/auth/device/code")
        #expect(document["id_token_signing_alg_values_supported"] as? [String] == ["ES256"])
        let grants = try #require(document["grant_types_supported"] as? [String])
        #expect(grants.contains("urn:ietf:params:oauth:grant-type:device_code"))
        #expect(grants.contains("urn:ietf:params:oauth:grant-type:jwt-bearer"))
        #expect(grants.contains("refresh_token"))
        #expect(document["revocation_endpoint"] as? String == Self.externalURL + "/auth/revoke")
        #expect(issuer.endpoints.discovery == Self.externalURL + "/.well-known/openid-configuration")

        let jwks = try #require(try JSONSerialization.jsonObject(with: issuer.jwksDocument(now: now)) as? [String: Any])
        let key = try #require((jwks["keys"] as? [[String: String]])?.first)
        #expect(key["kty"] == "EC" && key["crv"] == "P-256" && key["alg"] == "ES256" && key["use"] == "sig")
        #expect(key["d"] == nil, "no private member is published")
    }

    @Test("requests the issuer must refuse")
    func refusedRequests() throws {
        let (issuer, directory) = try Self.makeIssuer()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: TokenIssuerError.lifetimeTooLong(requested: 7200, maximum: 3600)) {
            try issuer.issueAccessToken(AccessTokenRequest(subject: "u", audiences: ["a"], lifetime: 7200), now: now)
        }
        #expect(throws: TokenIssuerError.invalidRequest("at least one non-empty audience is needed")) {
            try issuer.issueAccessToken(AccessTokenRequest(subject: "u", audiences: []), now: now)
        }
        #expect(throws: TokenIssuerError.invalidExternalURL("it must be an absolute http(s) URL")) {
            try TokenIssuer(
                configuration: .init(externalURL: "gatehouse.local"), dataDirectory: Self.temporaryDirectory(),
                masterKey: Self.masterKey)
        }
    }
}
