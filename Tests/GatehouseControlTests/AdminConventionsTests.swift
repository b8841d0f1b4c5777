import Foundation
import GatehouseModel
import HTTPTypes
import Testing

@testable import GatehouseControl

@Suite struct AdminConventionsTests {
    @Test func etagsAreQuotedRevisions() throws {
        #expect(ETag.make(42) == "\"42\"")
        #expect(try ETag.revisions(in: "\"42\", W/\"7\"") == [42, 7])
        #expect(try ETag.revisions(in: "*") == nil)
        #expect(throws: Problem.self) { try ETag.revisions(in: "42") }
        #expect(throws: Problem.self) { try ETag.revisions(in: " ") }
        #expect(throws: Problem.self) { try ETag.revisions(in: "\"abc\"") }
    }

    @Test func ifMatchFailsOnAStaleRevision() throws {
        let preconditions = try Preconditions([.ifMatch: "\"3\""])
        #expect(throws: Never.self) { try preconditions.check(existingRevision: 3) }
        #expect(throws: Problem.self) { try preconditions.check(existingRevision: 4) }
        #expect(throws: Problem.self) { try preconditions.check(existingRevision: nil) }
    }

    @Test func ifNoneMatchStarIsCreateOnly() throws {
        let preconditions = try Preconditions([.ifNoneMatch: "*"])
        #expect(throws: Never.self) { try preconditions.check(existingRevision: nil) }
        do {
            try preconditions.check(existingRevision: 1)
            Issue.record("expected 412")
        } catch let problem as Problem {
            #expect(problem.status == 412)
        }
        #expect(throws: Problem.self) { try Preconditions([.ifNoneMatch: "\"1\""]) }
    }

    @Test func cursorsRoundTripAndRejectForgeries() throws {
        for name in ["a", "acme-corp", String(repeating: "z", count: 63)] {
            #expect(try Cursor.decode(Cursor.encode(name)) == name)
        }
        #expect(throws: Problem.self) { try Cursor.decode("!!!") }
        #expect(throws: Problem.self) { try Cursor.decode(Cursor.encode("Not A Name")) }
    }

    @Test func bodyNameMustAgreeWithThePath() throws {
        let org = try JSONBody.decode(Org.self, from: Data(#"{"displayName":"x"}"#.utf8), pathName: "acme")
        #expect(org.name == "acme")
        #expect(throws: Problem.self) {
            try JSONBody.decode(Org.self, from: Data(#"{"name":"other"}"#.utf8), pathName: "acme")
        }
    }

    @Test func knownPathsKnowTheirMethods() {
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs") == ["GET", "POST"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme") == ["DELETE", "GET", "PUT"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/routes") == ["GET", "POST"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/secrets/db") == ["DELETE", "GET", "PUT"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/runs") == ["GET"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/runs/run_x") == ["GET"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/functions/hello/code") == ["GET", "PUT"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/functions/hello/invoke") == ["POST"])
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/functions/hello/other") == nil)
        #expect(AdminPaths.allowedMethods(for: "/v1/orgs/acme/nothing") == nil)
        #expect(AdminPaths.allowedMethods(for: "/v2/orgs") == nil)
    }

    @Test func openAPIDocumentLoadsAsJSON() throws {
        let document = try OpenAPIDocument.load()
        let object = try JSONSerialization.jsonObject(with: document.json) as? [String: Any]
        #expect((object?["openapi"] as? String)?.hasPrefix("3.1") == true)
        let paths = object?["paths"] as? [String: Any] ?? [:]
        for path in [
            "/v1/orgs", "/v1/orgs/{org}", "/v1/orgs/{org}/functions/{name}", "/v1/orgs/{org}/routes", "/v1/orgs/{org}/secrets/{name}",
            "/healthz", "/v1/orgs/{org}/functions/{name}/code", "/v1/orgs/{org}/functions/{name}/invoke", "/v1/orgs/{org}/runs",
            "/v1/orgs/{org}/runs/{id}",
        ] {
            #expect(paths[path] != nil, "\(path) is not documented")
        }
    }
}
