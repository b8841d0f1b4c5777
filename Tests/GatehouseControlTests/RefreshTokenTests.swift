import Foundation
import GatehouseStore
import Testing

@testable import GatehouseControl

@Suite struct RefreshTokenTests {
    static func withTokens(_ body: (RefreshTokens) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refresh-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("gatehouse.sqlite").path)
        defer { try? store.close() }
        try await body(RefreshTokens(records: store))
    }

    static func refusal(_ result: Result<(RefreshGrant, String), RefreshTokens.Refusal>) -> RefreshTokens.Refusal? {
        if case .failure(let refusal) = result { return refusal }
        return nil
    }

    static let grant = RefreshGrant(clientID: "gatehouse-cli", org: "acme", provider: "corp", subject: "alice", groups: ["eng"], scopes: [])

    @Test func everyUseRotatesAndAReuseRevokesTheFamily() async throws {
        try await Self.withTokens { tokens in
            let first = try await tokens.issue(Self.grant)
            #expect(first.hasPrefix("grt_"))
            let (grant, second) = try #require(try await tokens.rotate(first, clientID: "gatehouse-cli").get())
            #expect(grant == Self.grant && second != first)
            let (_, third) = try #require(try await tokens.rotate(second, clientID: "gatehouse-cli").get())
            // The first token again: someone else holds the family. Every token of it dies.
            #expect(Self.refusal(try await tokens.rotate(first, clientID: "gatehouse-cli")) == .reused)
            #expect(Self.refusal(try await tokens.rotate(third, clientID: "gatehouse-cli")) == .invalid)
        }
    }

    @Test func unknownForeignAndRevokedTokensAreRefused() async throws {
        try await Self.withTokens { tokens in
            #expect(Self.refusal(try await tokens.rotate("grt_nothing", clientID: "gatehouse-cli")) == .invalid)
            let token = try await tokens.issue(Self.grant)
            #expect(Self.refusal(try await tokens.rotate(token, clientID: "someone-else")) == .otherClient)
            #expect(Self.refusal(try await tokens.rotate(token, clientID: "gatehouse-cli", scopes: ["admin"])) == .widerScope)
            #expect(try await tokens.revokeFamily(of: token))
            #expect(Self.refusal(try await tokens.rotate(token, clientID: "gatehouse-cli")) == .invalid)
            #expect(!(try await tokens.revokeFamily(of: token)))
        }
    }

    @Test func expiredTokensAreRefused() async throws {
        try await Self.withTokens { tokens in
            var short = tokens
            short.lifetime = 10
            let token = try await short.issue(Self.grant, now: Date().addingTimeInterval(-20))
            #expect(Self.refusal(try await tokens.rotate(token, clientID: "gatehouse-cli")) == .invalid)
        }
    }
}
