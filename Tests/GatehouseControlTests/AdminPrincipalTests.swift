import Foundation
import GatehouseIdentity
import GatehouseModel
import Testing

@testable import GatehouseControl

/// Who may call the admin API besides the platform admin: Gatehouse's own access tokens and
/// org API keys, each confined to its org and to what its org's policies grant it.
@Suite struct AdminPrincipalTests {
    static func issuer() throws -> (IssuerSlot, TokenIssuer) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("issuer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let issuer = try TokenIssuer(
            configuration: .init(externalURL: "https://gatehouse.test:9443"), dataDirectory: directory,
            masterKey: [UInt8](repeating: 7, count: 32))
        let slot = IssuerSlot()
        slot.install(issuer)
        return (slot, issuer)
    }

    static func token(
        _ issuer: TokenIssuer, org: String = "acme", kind: Principal.Kind? = .serviceAccount,
        audience: String? = nil, account: String = "ci"
    ) throws -> String {
        try issuer.issueAccessToken(
            AccessTokenRequest(
                subject: "\(org)/\(account)", audiences: [audience ?? issuer.defaultAudience], org: org, kind: kind,
                identityProvider: "gatehouse")
        ).token
    }

    static func setUp(_ api: AdminAPIHarness) async throws {
        try await api.expect(201, .put, "/v1/orgs/acme", "{}")
        try await api.expect(201, .put, "/v1/orgs/other", "{}")
        try await api.expect(201, .put, "/v1/orgs/other/functions/f", #"{"runtime":"http","http":{"url":"http://127.0.0.1:9/"}}"#)
        try await api.expect(
            201, .put, "/v1/orgs/acme/policies/admins",
            #"{"bindings":[{"role":"org-admin","subjects":["service-account:ci","api-key:bot"]}]}"#)
    }

    @Test func anIssuedTokenManagesItsOrgOnly() async throws {
        let (slot, issuer) = try Self.issuer()
        try await AdminAPIHarness.run(issuer: slot) { api in
            try await Self.setUp(api)
            let token = try Self.token(issuer)
            // A principal no policy names may do nothing, even in its own org.
            let unbound = try await api.expect(403, .get, "/v1/orgs/acme/functions", bearer: try Self.token(issuer, account: "other"))
            #expect(unbound.headers[.wwwAuthenticate]?.contains(#"error="insufficient_scope""#) == true)
            try await api.expect(403, .get, "/v1/signing-keys", bearer: token)
            try await api.expect(200, .get, "/v1/orgs/acme/functions", bearer: token)
            try await api.expect(
                201, .put, "/v1/orgs/acme/functions/hello", #"{"runtime":"http","http":{"url":"http://127.0.0.1:9/"}}"#,
                bearer: token)
            let listed = try await api.expect(200, .get, "/v1/orgs", bearer: token)
            #expect((listed.json["items"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["acme"])
            let foreign = try await api.expect(403, .get, "/v1/orgs/other/functions", bearer: token)
            #expect(foreign.headers[.wwwAuthenticate]?.contains(#"error="insufficient_scope""#) == true)
            #expect(foreign.headers[.contentType] == "application/problem+json")
            try await api.expect(403, .get, "/v1/orgs/other", bearer: token)
            try await api.expect(403, .post, "/v1/orgs", #"{"name":"mine"}"#, bearer: token)
            try await api.expect(403, .put, "/v1/orgs/other", "{}", bearer: token)
            try await api.expect(403, .delete, "/v1/orgs/acme", bearer: token)
            try await api.expect(200, .get, "/v1/orgs/acme", bearer: token)
        }
    }

    @Test func aTokenOfAnOrgThatNoLongerExistsCannotRecreateIt() async throws {
        let (slot, issuer) = try Self.issuer()
        try await AdminAPIHarness.run(issuer: slot) { api in
            try await api.expect(403, .put, "/v1/orgs/gone", "{}", bearer: try Self.token(issuer, org: "gone"))
            // No org, so no policy grants anything: refused before the store is asked what exists.
            try await api.expect(403, .get, "/v1/orgs/gone/functions", bearer: try Self.token(issuer, org: "gone"))
        }
    }

    @Test func badTokensAreInvalidTokens() async throws {
        let (slot, issuer) = try Self.issuer()
        try await AdminAPIHarness.run(issuer: slot) { api in
            try await Self.setUp(api)
            let good = try Self.token(issuer)
            let tampered = String(good.dropLast(4)) + (good.hasSuffix("AAAA") ? "BBBB" : "AAAA")
            for bad in [
                tampered, try Self.token(issuer, audience: "https://elsewhere.test"), try Self.token(issuer, kind: .apiKey),
                try Self.token(issuer, kind: nil), "not-a-token",
            ] {
                let reply = try await api.expect(401, .get, "/v1/orgs/acme/functions", bearer: bad)
                #expect(reply.headers[.wwwAuthenticate]?.hasPrefix(#"Bearer realm="gatehouse", error="invalid_token""#) == true)
            }
            let missing = try await api.expect(401, .get, "/v1/orgs/acme/functions", bearer: nil)
            #expect(missing.headers[.wwwAuthenticate] == #"Bearer realm="gatehouse""#)
        }
    }

    @Test func apiKeysManageTheirOrgUntilRevoked() async throws {
        try await AdminAPIHarness.run { api in
            try await Self.setUp(api)
            let created = try await api.expect(201, .post, "/v1/orgs/acme/api-keys", #"{"name":"bot"}"#)
            let key = try #require(created.json["key"] as? String)
            try await api.expect(200, .get, "/v1/orgs/acme/functions", bearer: key)
            let listed = try await api.expect(200, .get, "/v1/orgs", bearer: key)
            #expect((listed.json["items"] as? [[String: Any]])?.count == 1)
            try await api.expect(403, .get, "/v1/orgs/other/functions", bearer: key)
            try await api.expect(200, .put, "/v1/orgs/acme/api-keys/bot", #"{"revoked":true}"#)
            try await api.expect(401, .get, "/v1/orgs/acme/functions", bearer: key)
            try await api.expect(401, .get, "/v1/orgs/acme/functions", bearer: String(key.dropLast()) + "x")
        }
    }

    @Test func expiredAPIKeysAreRefused() async throws {
        try await AdminAPIHarness.run { api in
            try await Self.setUp(api)
            let expiresAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2))
            let created = try await api.expect(201, .post, "/v1/orgs/acme/api-keys", #"{"name":"short","expiresAt":"\#(expiresAt)"}"#)
            let key = try #require(created.json["key"] as? String)
            try await Task.sleep(for: .seconds(3))
            try await api.expect(401, .get, "/v1/orgs/acme/functions", bearer: key)
        }
    }

    /// The isolation suite found `//v1/...` served without a credential (the router skips empty
    /// segments, the authentication check did not) and `/v1/orgs//other` read as the collection.
    @Test func nonCanonicalPathsAreRefusedBeforeAnyCheck() async throws {
        try await AdminAPIHarness.run { api in
            try await Self.setUp(api)
            let created = try await api.expect(201, .post, "/v1/orgs/acme/api-keys", #"{"name":"bot"}"#)
            let key = try #require(created.json["key"] as? String)
            for path in ["//v1/orgs", "//v1/orgs/other/functions", "/v1//orgs", "/v1/orgs//other/functions", "/v1/orgs/./other",
                "/v1/orgs/acme/../other/functions", "//v1/signing-keys"]
            {
                try await api.expect(400, .get, path, bearer: nil)
                try await api.expect(400, .get, path, bearer: key)
            }
            try await api.expect(400, .post, "//v1/orgs", #"{"name":"anon"}"#, bearer: nil)
            try await api.expect(404, .get, "/v1/orgs/made-anonymously")
            // A trailing slash reads the same everywhere and stays allowed.
            try await api.expect(200, .get, "/v1/orgs/acme/functions/", bearer: key)
            try await api.expect(401, .get, "/v1/orgs/acme/functions/", bearer: nil)
        }
        #expect(CanonicalPathMiddleware<AdminRequestContext>.problem(with: "/v1/orgs/acme/") == nil)
        #expect(CanonicalPathMiddleware<AdminRequestContext>.problem(with: "/") == nil)
        #expect(CanonicalPathMiddleware<AdminRequestContext>.problem(with: "/a//b") != nil)
    }

    @Test func pathsNamingOrgs() {
        #expect(AdminAccess.org(inPath: "/v1/orgs/acme/functions/x") == "acme")
        #expect(AdminAccess.org(inPath: "/v1/orgs/acme") == "acme")
        #expect(AdminAccess.org(inPath: "/v1/orgs") == nil)
        #expect(AdminAccess.org(inPath: "/v1/orgs/") == nil)
        #expect(AdminAccess.org(inPath: "/auth/acme/corp/login") == nil)
    }
}
