import Crypto
import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import Testing

@testable import GatehouseControl

/// Fixed keys made with openssl: an RSA key below the minimum, one at it, an Ed25519 key, and a
/// private key that must be refused.
enum PEMFixtures {
    static let rsa1024 = """
-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDfxYEvzUWAhpd1C4ZSZRc3rqQJ
bUPUGpnxLkGfT0XkqTLNytmol7vdFZQTOlgpdM/8bIYA67hHEN58uFfC3/sDUY2C
q7iVZkxvV6oz4QhitYTsTJNsKLl55+rIXmmfpk8e/TnRKItEkKgzmfaYJ3sshqpJ
+DSQj7S/8T88tnk6MwIDAQAB
-----END PUBLIC KEY-----
"""
    static let rsa2048 = """
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEArqwa3DsIt9r2atMRpYXD
k27xzsF0d7hjUhIo691Q08RVYd96OURZue4Fq34XfVc9Jpy3W5MFmSEn3ntTGfiX
hniVh8dK4YdonR9K3Eq2NQPIIssQueIsdMfGh6AHNLlUXYKzJLQPABW6xII2fgIi
U4XxY2XdXit6RCycWBjtGJ7BqXvdE8Huh3jfYCZu00D72lGkQaV6NnuGP42dKf8G
5BNULcAOLsvE8+U31vLkBFaOPa58iTygDZje5xHKlhyi97VRMn6wVPEOai8fegLQ
mnHJrEcbJCUZF1KDkg1ojIKYUHyr/ckfMfBs61WKQBuzKiblj98kYo31vjN38i2l
7wIDAQAB
-----END PUBLIC KEY-----
"""
    static let ed25519 = """
-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEARGwnTPjlgpfCVsGm2BWSE1OO/QpDj4hsMmGapaL0uhU=
-----END PUBLIC KEY-----
"""
    static let ecPrivate = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgbnQ6TG7bDUt/38Rq
MHnIABanjnQMpainY8TeuAQzPf6hRANCAATfT/57lrArBk1abyv5sA62+VJYUlNq
vKlCruZS2atkxS+rvStUpWGnoVho00TGK9PM0sRgXvNytENT3+jhs20e
-----END PRIVATE KEY-----
"""

    static func p256() -> String { P256.Signing.PrivateKey().publicKey.pemRepresentation }

    /// A JSON string literal of `text`.
    static func json(_ text: String) -> String {
        String(data: try! JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]), encoding: .utf8)!
            .dropFirst().dropLast().description
    }
}

@Suite struct ServiceAccountEndpointTests {
    static let base = "/v1/orgs/acme/service-accounts"

    static func body(_ pems: [String], description: String? = nil) -> String {
        let keys = pems.map { #"{"pem":\#(PEMFixtures.json($0))}"# }.joined(separator: ",")
        let described = description.map { #","description":\#(PEMFixtures.json($0))"# } ?? ""
        return #"{"name":"ci","publicKeys":[\#(keys)]\#(described)}"#
    }

    @Test func crudDerivesKindAndFingerprintAndRoundTrips() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let p256 = PEMFixtures.p256()
            let created = try await api.expect(
                201, .post, Self.base, Self.body([p256, PEMFixtures.rsa2048, PEMFixtures.ed25519], description: "CI deploys"))
            #expect(created.headers[.location] == "\(Self.base)/ci")
            let keys = created.json["publicKeys"] as? [[String: Any]] ?? []
            #expect(keys.map { $0["kind"] as? String } == ["ec-p256", "rsa-2048", "ed25519"])
            #expect(keys[0]["fingerprint"] as? String == (try RegisteredPublicKey.parse(pem: p256)).fingerprint)
            #expect(keys[0]["pem"] as? String == p256)
            #expect(created.json["description"] as? String == "CI deploys")

            // GET -> PUT round-trips; kind and fingerprint sent back are accepted and re-derived.
            let got = try await api.expect(200, .get, "\(Self.base)/ci")
            let put = try await api.expect(200, .put, "\(Self.base)/ci", got.text)
            #expect((put.json["publicKeys"] as? [[String: Any]])?.count == 3)
            let listed = try await api.expect(200, .get, Self.base)
            #expect((listed.json["items"] as? [[String: Any]])?.first?["name"] as? String == "ci")
            try await api.expect(204, .delete, "\(Self.base)/ci")
            try await api.expect(404, .get, "\(Self.base)/ci")
        }
    }

    @Test func forgedKindAndFingerprintAreReplaced() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let body = #"{"publicKeys":[{"pem":\#(PEMFixtures.json(PEMFixtures.ed25519)),"kind":"rsa-4096","fingerprint":"forged"}]}"#
            let created = try await api.expect(201, .put, "\(Self.base)/ci", body)
            let key = (created.json["publicKeys"] as? [[String: Any]])?.first ?? [:]
            #expect(key["kind"] as? String == "ed25519")
            #expect(key["fingerprint"] as? String != "forged")
        }
    }

    @Test(arguments: [
        ("not a key", "not"),
        (PEMFixtures.rsa1024, "1024"),
        (PEMFixtures.ecPrivate, "private"),
    ])
    func badKeysAreRefusedWithTheParsersReason(pem: String, reason: String) async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let reply = try await api.expect(400, .post, Self.base, Self.body([PEMFixtures.ed25519, pem]))
            #expect(reply.json["field"] as? String == "publicKeys[1].pem", "\(reply.text)")
            #expect((reply.json["detail"] as? String ?? "").lowercased().contains(reason), "\(reply.text)")
            try await api.expect(404, .get, "\(Self.base)/ci")
        }
    }

    @Test func duplicateKeysAndKeyCountsAreRefused() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let duplicate = try await api.expect(400, .post, Self.base, Self.body([PEMFixtures.ed25519, PEMFixtures.ed25519]))
            #expect(duplicate.json["field"] as? String == "publicKeys[1].pem")
            try await api.expect(400, .post, Self.base, Self.body([]))
            try await api.expect(400, .post, Self.base, Self.body((0..<9).map { _ in PEMFixtures.p256() }))
        }
    }
}

@Suite struct APIKeyEndpointTests {
    static let base = "/v1/orgs/acme/api-keys"

    static func base64URL(_ text: String) -> Data? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard)
    }

    static func storedHash(_ api: AdminAPIHarness, name: String) async throws -> (id: String?, hash: String?) {
        let document = try await api.store.read { try $0.document(ResourceKey(kind: .apiKey, org: "acme", name: name)) }
        let stored = try #require(try document?.decoded(as: OrgAPIKey.self))
        return (stored.keyId, stored.keyHash)
    }

    @Test func createShowsTheKeyOnceAndStoresOnlyItsHash() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let created = try await api.expect(
                201, .post, Self.base, #"{"name":"ci","scopes":["deploy","read:logs"],"description":"CI"}"#)
            let value = try #require(created.json["key"] as? String)
            #expect(value.hasPrefix("gak_"))
            #expect(created.json["keyHash"] == nil)
            #expect(created.headers[.cacheControl] == "no-store")
            let parsed = try #require(APIKey.parse(value))
            #expect(created.json["keyId"] as? String == parsed.id)
            #expect(created.json["revoked"] == nil || created.json["revoked"] as? Bool == false)

            // The stored hash is the key's; the key itself is nowhere in the store.
            let stored = try await Self.storedHash(api, name: "ci")
            #expect(stored.id == parsed.id)
            let hashBytes = try #require(Self.base64URL(stored.hash ?? ""))
            #expect(APIKeyHash(bytes: hashBytes).matches(parsed))
            let raw = try await api.store.read { try $0.document(ResourceKey(kind: .apiKey, org: "acme", name: "ci")) }
            #expect(String(decoding: raw?.body ?? Data(), as: UTF8.self).contains(value) == false)

            // No later response shows the key or its hash.
            let got = try await api.expect(200, .get, "\(Self.base)/ci")
            let listed = try await api.expect(200, .get, Self.base)
            for reply in [got, listed] {
                #expect(!reply.text.contains(value))
                #expect(!reply.text.contains(stored.hash ?? "-"))
                #expect(!reply.text.contains("keyHash"))
                #expect(!reply.text.contains(#""key""#))
            }
            #expect(got.json["keyId"] as? String == parsed.id)

            // PUT back unchanged, and revoking, keep the key.
            let put = try await api.expect(200, .put, "\(Self.base)/ci", got.text)
            #expect(put.json["key"] == nil)
            #expect(!put.text.contains(value))
            let revoked = try await api.expect(200, .put, "\(Self.base)/ci", #"{"scopes":["deploy"],"revoked":true}"#)
            #expect(revoked.json["revoked"] as? Bool == true)
            #expect(revoked.json["keyId"] as? String == parsed.id)
            let after = try await Self.storedHash(api, name: "ci")
            #expect(after.id == stored.id && after.hash == stored.hash)

            try await api.expect(204, .delete, "\(Self.base)/ci")
            try await api.expect(404, .get, "\(Self.base)/ci")
        }
    }

    @Test func putOfANewNameCreatesAndShowsTheKey() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let created = try await api.expect(201, .put, "\(Self.base)/ci", "{}")
            #expect((created.json["key"] as? String)?.hasPrefix("gak_") == true)
            let again = try await api.expect(200, .put, "\(Self.base)/ci", "{}")
            #expect(again.json["key"] == nil)
            #expect(again.json["keyId"] as? String == created.json["keyId"] as? String)
        }
    }

    @Test func clientKeysAndPastExpiriesAreRefused() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let supplied = try await api.expect(400, .post, Self.base, #"{"name":"ci","key":"gak_0123456789abcdef_x"}"#)
            #expect(supplied.json["field"] as? String == "key")
            let expired = try await api.expect(400, .post, Self.base, #"{"name":"ci","expiresAt":"2020-01-01T00:00:00Z"}"#)
            #expect(expired.json["field"] as? String == "expiresAt")
            try await api.expect(400, .post, Self.base, #"{"name":"ci","scopes":["has space"]}"#)
            try await api.expect(404, .get, "\(Self.base)/ci")
            let future = try await api.expect(201, .post, Self.base, #"{"name":"ci","expiresAt":"2099-01-01T00:00:00Z"}"#)
            #expect(future.json["expiresAt"] as? String == "2099-01-01T00:00:00Z")
            // A key sent with an update is refused too: a key cannot be chosen, only regenerated.
            try await api.expect(400, .put, "\(Self.base)/ci", #"{"key":"gak_0123456789abcdef_x"}"#)
        }
    }
}
