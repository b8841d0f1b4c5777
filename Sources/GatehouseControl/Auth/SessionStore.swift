import Foundation
import GatehouseIdentity
import GatehouseStore
import Logging

/// Sessions kept durable in the store (so logout and expiry survive a restart) and live in the
/// in-memory `SessionDirectory` every request consults. The store is written first: a session
/// the directory knows is always one a restart would bring back.
struct SessionStore: Sendable {
    static let recordKind = "session"
    /// How long a browser session lasts; the user signs in again afterwards.
    static let defaultLifetime: TimeInterval = 8 * 3600

    let directory: SessionDirectory
    let records: any AuthRecordStore
    var lifetime: TimeInterval = SessionStore.defaultLifetime

    /// Fills the directory with the sessions that have not expired, and drops the rest.
    func load(now: Date = Date()) async throws {
        let sessions: [Session] = try await records.authRecords { writer in
            try writer.deleteExpired(before: now)
            return try writer.records(kind: Self.recordKind, unexpiredAt: now).compactMap {
                try? JSONDecoder().decode(Session.self, from: $0.body)
            }
        }
        directory.load(sessions)
    }

    /// A new session for a user who just signed in, and the cookie value that names it.
    func create(
        org: String, provider: String, identity: LoginIdentity, now: Date = Date()
    ) async throws -> (session: Session, cookie: String) {
        let expiresAt = now.addingTimeInterval(lifetime)
        let (recordID, cookie) = directory.newCookie(org: org, expiresAt: expiresAt)
        let session = Session(
            recordID: recordID, org: org, provider: provider, subject: identity.subject, email: identity.email,
            name: identity.name, groups: identity.groups, createdAt: now, expiresAt: expiresAt)
        let body = try JSONEncoder().encode(session)
        try await records.authRecords { writer in
            // Logins are when sessions appear, so also when dead ones go.
            try writer.deleteExpired(before: now)
            try writer.put(
                AuthRecord(
                    kind: Self.recordKind, id: recordID, org: org, family: recordID, expiresAt: expiresAt, body: body))
        }
        directory.sweep(now: now)
        directory.insert(session)
        return (session, cookie)
    }

    /// Ends the session a cookie names, expired or not; returns it if there was one.
    @discardableResult
    func end(recordID: String) async throws -> Session? {
        _ = try await records.authRecords { writer in try writer.delete(kind: Self.recordKind, id: recordID) }
        return directory.remove(recordID: recordID)
    }
}
