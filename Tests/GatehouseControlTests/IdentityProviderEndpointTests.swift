import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import GatehouseControl

/// The admin API's router over a real store in a temporary directory, driven in process.
struct AdminAPIHarness: Sendable {
    static let token = "test-admin-token"
    let client: any TestClientProtocol
    let store: SQLiteStore
    let sealer: SecretSealer

    /// `functions`: the function services (invoke, runs, code) over the store and the temporary
    /// directory; nil leaves those routes out.
    static func run(
        issuer: IssuerSlot = IssuerSlot(), functions: (@Sendable (SQLiteStore, URL) throws -> FunctionServices)? = nil,
        _ body: @Sendable (AdminAPIHarness) async throws -> Void
    ) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-control-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("gatehouse.sqlite").path)
        defer { try? store.close() }
        let sealer = try SecretSealer(keyBytes: [UInt8](repeating: 9, count: 32))
        let router = AdminRouter.build(
            .init(
                store: store, sealer: sealer, verifier: AdminTokenVerifier(expectedHash: AdminToken.hash(token)),
                health: HealthState(), openAPI: try OpenAPIDocument.load(), issuer: issuer, functions: try functions?(store, directory),
                logger: Logger(label: "admin-api-test")))
        try await Application(router: router).test(.router) { client in
            try await body(AdminAPIHarness(client: client, store: store, sealer: sealer))
        }
    }

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPFields
        var text: String
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]) ?? [:] }
    }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, bearer: String? = AdminAPIHarness.token) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let bearer { headers[.authorization] = "Bearer \(bearer)" }
        if body != nil { headers[.contentType] = "application/json" }
        let response = try await client.execute(
            uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
    }

    /// Calls with a body that is not JSON (code uploads, invocation payloads).
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, bytes: [UInt8], headers extra: HTTPFields) async throws -> Reply {
        var headers: HTTPFields = [.authorization: "Bearer \(AdminAPIHarness.token)"]
        headers.append(contentsOf: extra)
        let response = try await client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(bytes: bytes))
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: response.body))
    }

    /// Calls, and checks the status.
    @discardableResult
    func expect(
        _ status: Int, _ method: HTTPRequest.Method, _ path: String, _ body: String? = nil,
        bearer: String? = AdminAPIHarness.token, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> Reply {
        let reply = try await call(method, path, body, bearer: bearer)
        #expect(reply.status == status, "\(method) \(path): \(reply.text)", sourceLocation: sourceLocation)
        return reply
    }

    func sealedDocument(org: String, name: String) async throws -> StoredDocument? {
        try await store.read { try $0.document(ResourceKey(kind: .identityProvider, org: org, name: name)) }
    }
}

@Suite struct IdentityProviderEndpointTests {
    static let secret = "cs-" + UUID().uuidString + "-never-shown"
    static let base = "/v1/orgs/acme/identity-providers"

    static func oidc(clientId: String = "gatehouse", secret: String? = IdentityProviderEndpointTests.secret, name: String? = "corp") -> String {
        let secretMember = secret.map { #","clientSecret":"\#($0)""# } ?? ""
        let nameMember = name.map { #""name":"\#($0)","# } ?? ""
        return #"{\#(nameMember)"type":"oidc","oidc":{"issuer":"http://127.0.0.1:5556/dex","clientId":"\#(clientId)"\#(secretMember)}}"#
    }

    @Test func crudKeepsTheClientSecretSealedAndUnseen() async throws {
        try await AdminAPIHarness.run { api in
            var replies: [AdminAPIHarness.Reply] = []
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")

            let created = try await api.expect(201, .post, Self.base, Self.oidc())
            replies.append(created)
            #expect(created.headers[.location] == "\(Self.base)/corp")
            let block = created.json["oidc"] as? [String: Any] ?? [:]
            #expect(block["clientSecretSet"] as? Bool == true)
            #expect(block["clientSecret"] == nil)
            #expect(created.json["type"] as? String == "oidc")
            #expect(created.json["org"] as? String == "acme")

            // Sealed next to the document, bound to its kind, org and name.
            let document = try #require(try await api.sealedDocument(org: "acme", name: "corp"))
            #expect(!String(decoding: document.body, as: UTF8.self).contains(Self.secret))
            let sealed = try #require(document.sealed)
            #expect(try api.sealer.open(sealed, org: "acme", name: "corp", kind: .identityProvider) == ["clientSecret": Self.secret])
            #expect(throws: SecretSealerError.self) { try api.sealer.open(sealed, org: "acme", name: "corp") }

            replies.append(try await api.expect(200, .get, "\(Self.base)/corp"))
            let listed = try await api.expect(200, .get, Self.base)
            replies.append(listed)
            let items = listed.json["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["name"] as? String } == ["corp"])
            #expect((items.first?["oidc"] as? [String: Any])?["clientSecretSet"] as? Bool == true)

            // GET -> edit -> PUT without the secret keeps it.
            let edited = created.text.replacingOccurrences(of: #""clientId":"gatehouse""#, with: #""clientId":"gatehouse","audiences":["api://orders"]"#)
            let put = try await api.expect(200, .put, "\(Self.base)/corp", edited)
            replies.append(put)
            #expect((put.json["oidc"] as? [String: Any])?["clientSecretSet"] as? Bool == true)
            #expect((put.json["oidc"] as? [String: Any])?["audiences"] as? [String] == ["api://orders"])
            let kept = try #require(try await api.sealedDocument(org: "acme", name: "corp")?.sealed)
            #expect(try api.sealer.open(kept, org: "acme", name: "corp", kind: .identityProvider) == ["clientSecret": Self.secret])

            // A refused write does not echo the secret either.
            replies.append(try await api.expect(400, .put, "\(Self.base)/corp", Self.oidc().replacingOccurrences(of: "\"type\"", with: "\"surprise\":1,\"type\"")))
            replies.append(try await api.expect(409, .post, Self.base, Self.oidc()))

            // "" removes the secret.
            let cleared = try await api.expect(200, .put, "\(Self.base)/corp", Self.oidc(secret: ""))
            replies.append(cleared)
            #expect((cleared.json["oidc"] as? [String: Any])?["clientSecretSet"] as? Bool == false)
            #expect(try await api.sealedDocument(org: "acme", name: "corp")?.sealed == nil)

            for reply in replies {
                #expect(!reply.text.contains(Self.secret), "a response shows the client secret: \(reply.text)")
                for field in reply.headers { #expect(!field.value.contains(Self.secret)) }
            }

            try await api.expect(204, .delete, "\(Self.base)/corp")
            try await api.expect(404, .get, "\(Self.base)/corp")
            try await api.expect(404, .delete, "\(Self.base)/corp")
        }
    }

    @Test func aKeptSecretMustBelongToTheSameClient() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            try await api.expect(201, .put, "\(Self.base)/corp", Self.oidc(name: nil))
            let changed = try await api.expect(400, .put, "\(Self.base)/corp", Self.oidc(clientId: "other", secret: nil))
            #expect(changed.json["field"] as? String == "oidc.clientSecret")
            #expect((changed.json["detail"] as? String)?.contains("'gatehouse'") == true)
            let github = #"{"type":"github","github":{"clientId":"gatehouse"}}"#
            #expect(try await api.expect(400, .put, "\(Self.base)/corp", github).json["field"] as? String == "github.clientSecret")
            // With the new client's secret, or none, the change goes through.
            try await api.expect(200, .put, "\(Self.base)/corp", Self.oidc(clientId: "other", secret: "new-secret"))
            try await api.expect(200, .put, "\(Self.base)/corp", Self.oidc(clientId: "third", secret: ""))
            // Nothing stored: nothing to keep, nothing to refuse.
            let none = try await api.expect(200, .put, "\(Self.base)/corp", Self.oidc(clientId: "fourth", secret: nil))
            #expect((none.json["oidc"] as? [String: Any])?["clientSecretSet"] as? Bool == false)
        }
    }

    @Test func githubNeedsAClientSecretOnceAndKeepsIt() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let withoutSecret = #"{"name":"gh","type":"github","github":{"clientId":"Iv1.abc","allowedOrganizations":["acme"]}}"#
            let refused = try await api.expect(400, .post, Self.base, withoutSecret)
            #expect(refused.json["field"] as? String == "github.clientSecret")
            let withSecret = withoutSecret.replacingOccurrences(of: #""clientId":"Iv1.abc""#, with: #""clientId":"Iv1.abc","clientSecret":"\#(Self.secret)""#)
            let created = try await api.expect(201, .post, Self.base, withSecret)
            #expect(!created.text.contains(Self.secret))
            let replaced = try await api.expect(
                200, .put, "\(Self.base)/gh",
                withoutSecret.replacingOccurrences(of: #""allowedOrganizations":["acme"]"#, with: #""acceptBearerTokens":true"#))
            #expect((replaced.json["github"] as? [String: Any])?["clientSecretSet"] as? Bool == true)
            #expect((replaced.json["github"] as? [String: Any])?["acceptBearerTokens"] as? Bool == true)
            #expect(try await api.expect(400, .put, "\(Self.base)/gh", withSecret.replacingOccurrences(of: Self.secret, with: "")).json["field"] as? String == "github.clientSecret")
        }
    }

    @Test func validationProblemsNameTheField() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            let cases: [(String, String)] = [
                (#"{"name":"p","type":"oidc"}"#, "oidc"),
                (#"{"name":"p","type":"github","oidc":{"issuer":"https://x","clientId":"c"}}"#, "oidc"),
                (#"{"name":"p","type":"oidc","oidc":{"issuer":"http://id.example.com","clientId":"c"}}"#, "oidc.issuer"),
                (#"{"name":"p","type":"azure-ad","azureAd":{"tenant":"common","clientId":"c"}}"#, "azureAd.tenant"),
                (#"{"name":"p","type":"ldap"}"#, "type"),
                (#"{"name":"gatehouse","type":"oidc","oidc":{"issuer":"https://x","clientId":"c"}}"#, "name"),
                (#"{"name":"p","type":"oidc","oidc":{"issuer":"https://x","clientId":"c","colour":1}}"#, "oidc.colour"),
            ]
            for (body, field) in cases {
                let reply = try await api.expect(400, .post, Self.base, body)
                #expect(reply.json["field"] as? String == field, "\(body): \(reply.text)")
                #expect(reply.headers[.contentType] == "application/problem+json")
            }
            try await api.expect(404, .post, "/v1/orgs/missing/identity-providers", Self.oidc())
        }
    }

    @Test func routesNameExistingProvidersAndKeepThemFromDeletion() async throws {
        try await AdminAPIHarness.run { api in
            try await api.expect(201, .put, "/v1/orgs/acme", "{}")
            try await api.expect(201, .put, "/v1/orgs/acme/functions/fn", #"{"runtime":"http","http":{"url":"http://127.0.0.1:9/"}}"#)
            let unknown = try await api.expect(
                400, .put, "/v1/orgs/acme/routes/orders",
                #"{"function":"fn","paths":["/orders"],"auth":{"accept":["jwt"],"providers":["gatehouse","corp"]}}"#)
            #expect(unknown.json["field"] as? String == "auth.providers[1]")
            #expect((unknown.json["detail"] as? String)?.contains("'corp'") == true)
            // `gatehouse` needs no provider resource.
            try await api.expect(
                201, .put, "/v1/orgs/acme/routes/internal",
                #"{"function":"fn","paths":["/internal"],"auth":{"accept":["jwt"],"providers":["gatehouse"]}}"#)

            try await api.expect(201, .post, Self.base, Self.oidc())
            let route = try await api.expect(
                201, .put, "/v1/orgs/acme/routes/orders",
                #"{"function":"fn","paths":["/orders"],"auth":{"accept":["jwt","api-key"],"providers":["corp","gatehouse"],"scopes":["orders:read"],"apiKeyHeader":"x-orders-key"}}"#)
            let auth = route.json["auth"] as? [String: Any] ?? [:]
            #expect(auth["accept"] as? [String] == ["jwt", "api-key"])
            #expect(auth["mode"] == nil)
            // The shorthand is echoed as given; routes naming no provider do not hold any.
            let shorthand = try await api.expect(201, .put, "/v1/orgs/acme/routes/any", #"{"function":"fn","paths":["/any"],"auth":{"mode":"session"}}"#)
            #expect((shorthand.json["auth"] as? [String: Any])?["mode"] as? String == "session")
            #expect(try await api.expect(400, .put, "/v1/orgs/acme/routes/bad", #"{"function":"fn","paths":["/bad"],"auth":{"mode":"jwt","accept":["jwt"]}}"#).json["field"] as? String == "auth.mode")

            let refused = try await api.expect(409, .delete, "\(Self.base)/corp")
            #expect(refused.json["conflictsWith"] as? String == "orders")
            let orgRefused = try await api.expect(409, .delete, "/v1/orgs/acme")
            #expect((orgRefused.json["detail"] as? String)?.contains("identity-provider") == true)
            try await api.expect(204, .delete, "/v1/orgs/acme/routes/orders")
            try await api.expect(204, .delete, "\(Self.base)/corp")
        }
    }

    @Test func pathsAndDocumentKnowTheNewKind() throws {
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/identity-providers") == ["GET", "POST"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/identity-providers/corp") == ["DELETE", "GET", "PUT"])
        let document = try OpenAPIDocument.load()
        let object = try JSONSerialization.jsonObject(with: document.json) as? [String: Any]
        let paths = object?["paths"] as? [String: Any] ?? [:]
        for path in ["/v1/orgs/{org}/identity-providers", "/v1/orgs/{org}/identity-providers/{name}"] {
            #expect(paths[path] != nil, "\(path) is not documented")
        }
        let schemas = (object?["components"] as? [String: Any])?["schemas"] as? [String: Any] ?? [:]
        #expect(schemas["IdentityProvider"] != nil)
    }

    @Test func unknownMethodOnTheNewPathsIs405() async throws {
        try await AdminAPIHarness.run { api in
            let reply = try await api.call(.patch, "\(Self.base)/corp", "{}")
            #expect(reply.status == 405)
            #expect(reply.headers[.allow] == "DELETE, GET, PUT")
        }
    }
}
