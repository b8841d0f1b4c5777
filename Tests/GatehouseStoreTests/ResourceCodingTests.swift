import Foundation
import GatehouseModel
import Testing
@testable import GatehouseStore

@Suite("Typed resources over the store")
struct ResourceCodingTests {
    @Test func orgRoundTripsUnderTheEmptyOrg() async throws {
        try await withStore { store, _ in
            let saved = try await store.write { try $0.save(Org(name: "acme", displayName: "Acme Corp"), org: "", sealed: nil) }
            #expect(saved.name == "acme")
            #expect(saved.displayName == "Acme Corp")
            #expect(saved.revision == 1)
            #expect(saved.createdAt != nil && saved.updatedAt == saved.createdAt)
            let document = try await store.read { try $0.document(.org("acme")) }
            #expect(try document?.decoded(as: Org.self) == saved)
            #expect(try await store.read { try $0.resource(Org.self, org: "", name: "acme") } == saved)
        }
    }

    @Test func functionRoundTripsWithOrgAndServerFieldsFilledIn() async throws {
        try await withStore { store, _ in
            var function = Function(name: "hello", http: "http://127.0.0.1:9000/", timeoutMs: 500)
            // Server-managed fields on input are ignored.
            function.org = "elsewhere"
            function.revision = 999
            function.createdAt = Date(timeIntervalSince1970: 0)
            let saved = try await store.write { [function] in try $0.save(function, org: "acme", sealed: nil) }
            #expect(saved.org == "acme")
            #expect(saved.revision == 1)
            #expect(saved.createdAt != Date(timeIntervalSince1970: 0))
            #expect(saved.http?.url == "http://127.0.0.1:9000/")
            #expect(saved.timeoutMs == 500)
            #expect(try await store.read { try $0.resource(Function.self, org: "acme", name: "hello") } == saved)

            // The stored body carries none of the server-managed fields.
            let document = try #require(try await store.read { try $0.document(functionKey("acme", "hello")) })
            let stored = try #require(try JSONSerialization.jsonObject(with: document.body) as? [String: Any])
            #expect(Set(stored.keys) == ["name", "runtime", "http", "timeoutMs"])
        }
    }

    @Test func routeRoundTripsAndReplaceKeepsCreatedAt() async throws {
        try await withStore { store, _ in
            let route = Route(
                name: "hello", function: "hello", paths: ["/hello", "/items/{id}"], methods: ["GET"],
                hosts: ["api.example.com"], auth: .init(mode: .anonymous))
            let first = try await store.write { try $0.save(route, org: "acme", sealed: nil) }
            #expect(first.org == "acme")
            #expect(first.paths == route.paths)
            try await Task.sleep(for: .milliseconds(20))
            var changed = first
            changed.paths = ["/other"]
            let second = try await store.write { [changed] in try $0.save(changed, org: "acme", sealed: nil) }
            #expect(second.revision == 2)
            #expect(second.createdAt == first.createdAt)
            #expect(second.updatedAt != first.updatedAt)
            #expect(try await store.read { try $0.resource(Route.self, org: "acme", name: "hello") } == second)
        }
    }

    @Test func secretRoundTripsWithItsValuesSealedOutsideTheBody() async throws {
        try await withStore { store, _ in
            let sealer = try SecretSealer(keyBytes: [UInt8](repeating: 7, count: 32))
            let secret = Secret(name: "db", values: ["user": "app", "password": "s3cret"])
            let sealed = try sealer.seal(try #require(secret.values), org: "acme", name: "db")
            let saved = try await store.write { try $0.save(secret.redacted(), org: "acme", sealed: sealed) }
            #expect(saved.org == "acme")
            #expect(saved.keys == ["password", "user"])
            #expect(saved.values == nil)

            let document = try #require(try await store.read { try $0.document(ResourceKey(kind: .secret, org: "acme", name: "db")) })
            #expect(!String(decoding: document.body, as: UTF8.self).contains("s3cret"))
            #expect(try sealer.open(try #require(document.sealed), org: "acme", name: "db") == secret.values)
            #expect(try document.decoded(as: Secret.self) == saved)
        }
    }

    @Test func refusesToStoreSecretValuesInPlaintext() async throws {
        try await withStore { store, _ in
            await #expect(throws: StoreError.plaintextSecret(ResourceKey(kind: .secret, org: "acme", name: "db"))) {
                try await store.write { try $0.save(Secret(name: "db", values: ["k": "v"]), org: "acme", sealed: nil) }
            }
        }
    }

    @Test func refusesToStoreAClientSecretInPlaintext() async throws {
        try await withStore { store, _ in
            let provider = IdentityProvider(
                name: "corp", oidc: .init(issuer: "https://id.example.com", clientId: "c", clientSecret: "s3cret"))
            await #expect(throws: StoreError.plaintextSecret(ResourceKey(kind: .identityProvider, org: "acme", name: "corp"))) {
                try await store.write { try $0.save(provider, org: "acme", sealed: nil) }
            }
            let saved = try await store.write { try $0.save(provider.redacted(), org: "acme", sealed: Data([1])) }
            #expect(saved.oidc?.clientSecretSet == true)
            #expect(saved.oidc?.clientSecret == nil)
            let document = try #require(
                try await store.read { try $0.document(ResourceKey(kind: .identityProvider, org: "acme", name: "corp")) })
            #expect(document.key.kind == .identityProvider)
            #expect(!String(decoding: document.body, as: UTF8.self).contains("s3cret"))
        }
    }

    @Test func listsTypedResourcesAcrossOrgs() async throws {
        try await withStore { store, _ in
            try await store.write { writer in
                try writer.save(Function(name: "b", http: "http://x/"), org: "two", sealed: nil)
                try writer.save(Function(name: "a", http: "http://x/"), org: "two", sealed: nil)
                try writer.save(Function(name: "z", http: "http://x/"), org: "one", sealed: nil)
            }
            let all = try await store.read { try $0.resources(Function.self, org: nil, after: nil, limit: nil) }
            #expect(all.map { "\($0.org ?? "?")/\($0.name)" } == ["one/z", "two/a", "two/b"])
            let page = try await store.read { try $0.resources(Function.self, org: "two", after: "a", limit: 10) }
            #expect(page.map(\.name) == ["b"])
        }
    }

    @Test func removeReturnsTheRemovedResource() async throws {
        try await withStore { store, _ in
            let saved = try await store.write { try $0.save(Function(name: "f", http: "http://x/"), org: "acme", sealed: nil) }
            let removed = try await store.write { try $0.remove(Function.self, org: "acme", name: "f") }
            #expect(removed == saved)
            #expect(try await store.read { try $0.resource(Function.self, org: "acme", name: "f") } == nil)
        }
    }

    @Test func refusesKeysWhoseOrgDoesNotFitTheKind() async throws {
        try await withStore { store, _ in
            await #expect(throws: StoreError.self) {
                try await store.write { try $0.save(Function(name: "f", http: "http://x/"), org: "", sealed: nil) }
            }
            await #expect(throws: StoreError.self) {
                try await store.write { try $0.save(Org(name: "acme"), org: "acme", sealed: nil) }
            }
        }
    }

    @Test func decodingAsTheWrongKindFails() throws {
        let document = StoredDocument(
            key: .org("acme"), revision: 1, createdAt: Date(), updatedAt: Date(), body: body(#"{"name":"acme"}"#),
            sealed: nil)
        #expect(throws: StoreError.self) { try ResourceCoding.decode(document, as: Function.self) }
    }
}
