import Foundation
import GatehouseIdentity
import GatehouseStore

/// What a refresh token lets its holder obtain again: an access token for this user.
struct RefreshGrant: Codable, Sendable, Equatable {
    var clientID: String
    var org: String
    var provider: String
    var subject: String
    var groups: [String]
    var scopes: [String]
    var email: String?
    /// Set when the token has been exchanged: presenting it again is a replay (RFC 9700 §4.14.2).
    var rotated: Bool = false
}

/// Opaque refresh tokens (`grt_` + 32 random bytes), stored in `auth_records` by their hash
/// (`CredentialHash`) with the family of the login they descend from. Every use rotates: the
/// token is marked rotated and a new one of the same family is issued. A rotated token presented
/// again means two parties hold the family: every token of it is revoked (RFC 9700 §4.14.2).
struct RefreshTokens: Sendable {
    static let recordKind = "refresh-token"
    /// Gatehouse refresh token, like `gak_` for API keys: recognisable by secret scanners, and
    /// not GitHub's `ghr_`, which the edge would take for a GitHub token.
    static let prefix = "grt_"
    /// A token unused this long dies; each rotation starts a new period.
    static let defaultLifetime: TimeInterval = 30 * 24 * 3600

    enum Refusal: Error, Equatable {
        /// Unknown, expired, or revoked.
        case invalid
        /// A rotated token again: the family is now revoked.
        case reused
        /// Issued to another client.
        case otherClient
        /// A scope the login was not granted (RFC 6749 §6: a refresh may only narrow).
        case widerScope
    }

    let records: any AuthRecordStore
    var lifetime: TimeInterval = RefreshTokens.defaultLifetime

    /// A new token of a new family (after a login).
    func issue(_ grant: RefreshGrant, now: Date = Date()) async throws -> String {
        let token = Self.prefix + RandomToken.make()
        let record = try record(for: token, grant: grant, family: RandomToken.make(), now: now)
        try await records.authRecords { writer in
            try writer.deleteExpired(before: now)
            try writer.put(record)
        }
        return token
    }

    /// Exchanges `token` for its grant and a new token of the same family, in one transaction.
    /// `scopes` (may be empty: all) must be among the grant's; the token is not spent otherwise.
    func rotate(
        _ token: String, clientID: String, scopes: [String] = [], now: Date = Date()
    ) async throws -> Result<(RefreshGrant, String), Refusal> {
        guard token.hasPrefix(Self.prefix), token.utf8.count <= 128 else { return .failure(.invalid) }
        let next = Self.prefix + RandomToken.make()
        let id = CredentialHash.of(token)
        return try await records.authRecords { writer in
            guard let stored = try writer.record(kind: Self.recordKind, id: id), stored.expiresAt > now,
                var grant = try? JSONDecoder().decode(RefreshGrant.self, from: stored.body)
            else { return .failure(.invalid) }
            guard !grant.rotated else {
                try writer.deleteFamily(kind: Self.recordKind, family: stored.family)
                return .failure(.reused)
            }
            guard grant.clientID == clientID else { return .failure(.otherClient) }
            guard Set(scopes).isSubset(of: grant.scopes) else { return .failure(.widerScope) }
            grant.rotated = true
            // The rotated token is kept (until its own expiry) only to recognise a replay.
            try writer.put(AuthRecord(
                kind: Self.recordKind, id: id, org: stored.org, family: stored.family, expiresAt: stored.expiresAt,
                body: try JSONEncoder().encode(grant)))
            grant.rotated = false
            try writer.put(try record(for: next, grant: grant, family: stored.family, now: now))
            return .success((grant, next))
        }
    }

    /// Revokes the family `token` belongs to (RFC 7009); false when it is unknown.
    @discardableResult
    func revokeFamily(of token: String) async throws -> Bool {
        guard token.hasPrefix(Self.prefix), token.utf8.count <= 128 else { return false }
        let id = CredentialHash.of(token)
        return try await records.authRecords { writer in
            guard let stored = try writer.record(kind: Self.recordKind, id: id) else { return false }
            try writer.deleteFamily(kind: Self.recordKind, family: stored.family)
            return true
        }
    }

    private func record(for token: String, grant: RefreshGrant, family: String, now: Date) throws -> AuthRecord {
        AuthRecord(
            kind: Self.recordKind, id: CredentialHash.of(token), org: grant.org, family: family,
            expiresAt: now.addingTimeInterval(lifetime), body: try JSONEncoder().encode(grant))
    }
}
