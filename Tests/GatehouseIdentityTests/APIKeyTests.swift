import Foundation
import Testing

@testable import GatehouseIdentity

@Suite("API keys and principals")
struct APIKeyTests {
    let now = Fixture.now

    @Test("a generated key has the scanner-friendly shape and parses back")
    func shape() throws {
        let key = APIKey.generate()
        #expect(key.value.hasPrefix("gak_"))
        #expect(key.value.count == 4 + 16 + 1 + 43)
        #expect(key.id.count == 16 && key.id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(APIKey.parse(key.value)?.value == key.value)
        #expect(APIKey.parse(key.value)?.id == key.id)
        #expect(APIKey.generate().value != key.value)
    }

    @Test("a secret containing '_' and '-' parses (the id has a fixed length)")
    func underscoreInSecret() throws {
        let presented = "gak_0123456789abcdef_" + "_-" + String(repeating: "A", count: 40) + "A"
        let key = try #require(APIKey.parse(presented))
        #expect(key.id == "0123456789abcdef")
        #expect(key.value == presented)
    }

    @Test("malformed keys do not parse", arguments: [
        "", "gak_", "gha_0123456789abcdef_" + String(repeating: "A", count: 43),
        "gak_0123456789ABCDEF_" + String(repeating: "A", count: 43),
        "gak_0123456789abcdef-" + String(repeating: "A", count: 43),
        "gak_0123456789abcdef_" + String(repeating: "A", count: 42),
        "gak_0123456789abcdef_" + String(repeating: "=", count: 43),
    ])
    func malformed(presented: String) {
        #expect(APIKey.parse(presented) == nil)
    }

    @Test("verification: one lookup by id, one constant-time hash comparison")
    func verify() {
        let key = APIKey.generate()
        let principal = Principal(
            kind: .apiKey, subject: key.id, org: "acme", scopes: ["functions:invoke"], provider: "gatehouse",
            expiresAt: now.addingTimeInterval(3600))
        let verifier = APIKeyVerifier(entries: [key.id: .init(hash: key.hash, principal: principal)])
        #expect(verifier.principal(forPresented: key.value, now: now) == .success(principal))

        let forged = key.value.dropLast() + (key.value.hasSuffix("A") ? "B" : "A")
        #expect(verifier.principal(forPresented: String(forged), now: now) == .failure(.mismatch))
        #expect(verifier.principal(forPresented: APIKey.generate().value, now: now) == .failure(.unknownKey))
        #expect(verifier.principal(forPresented: "Bearer " + key.value, now: now) == .failure(.malformed))
        #expect(verifier.principal(forPresented: key.value, now: now.addingTimeInterval(3600)) == .failure(.expired))
    }

    @Test("the stored hash is SHA-256 of the whole key, and matches only that key")
    func hash() {
        let key = APIKey.generate()
        #expect(key.hash.bytes.count == 32)
        #expect(key.hash.matches(key))
        #expect(!key.hash.matches(APIKey.generate()))
        #expect(!key.hash.bytes.base64EncodedString().contains(key.value))
    }

    @Test("Principal keeps .platformAdmin and the admin token still verifies")
    func principal() {
        #expect(Principal.platformAdmin.kind == .platformAdmin)
        #expect(Principal.platformAdmin.subject == "platform-admin")
        #expect(Principal.platformAdmin.org == nil && Principal.platformAdmin.expiresAt == nil)
        #expect(Principal.Kind.allCases.map(\.rawValue) == ["platform-admin", "user", "service-account", "api-key"])
        let token = AdminToken.generate()
        let verifier = AdminTokenVerifier(expectedHash: AdminToken.hash(token))
        #expect(verifier.principal(forBearer: token) == .platformAdmin)
        #expect(verifier.principal(forBearer: token + "x") == nil)
        let user = Principal(kind: .user, subject: "u", org: "acme", groups: ["a"], expiresAt: now)
        #expect(user.isExpired(at: now) && !user.isExpired(at: now.addingTimeInterval(-1)))
    }
}
