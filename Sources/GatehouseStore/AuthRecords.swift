import Foundation
import GRDB

/// One piece of login state: a session, a refresh token. Not a resource: it has no revision,
/// no change feed, and no admin API; it lives until it expires or is revoked.
public struct AuthRecord: Sendable, Equatable {
    /// What it is (`session`, `refresh-token`); each kind is its own id space.
    public var kind: String
    /// A hash of the credential the record stands for, never the credential itself: a copy of
    /// the database must not be a copy of everyone's logins.
    public var id: String
    public var org: String
    /// Records revoked together: every refresh token of one login.
    public var family: String
    public var expiresAt: Date
    /// The record's JSON, written and read by its owner.
    public var body: Data

    public init(kind: String, id: String, org: String, family: String, expiresAt: Date, body: Data) {
        self.kind = kind
        self.id = id
        self.org = org
        self.family = family
        self.expiresAt = expiresAt
        self.body = body
    }
}

public protocol AuthRecordReader {
    func record(kind: String, id: String) throws -> AuthRecord?
    /// Every record of a kind that has not expired at `now`.
    func records(kind: String, unexpiredAt now: Date) throws -> [AuthRecord]
}

public protocol AuthRecordWriter: AuthRecordReader {
    /// Creates or replaces the record with the same kind and id.
    func put(_ record: AuthRecord) throws
    @discardableResult
    func delete(kind: String, id: String) throws -> Bool
    /// Removes every record of a kind in `family`; returns how many.
    @discardableResult
    func deleteFamily(kind: String, family: String) throws -> Int
    /// Removes every record, of any kind, that expired before `now`; returns how many.
    @discardableResult
    func deleteExpired(before now: Date) throws -> Int
}

/// Where login state is kept. Transactions are synchronous for the same reason as `Store`'s:
/// they must not suspend while they hold the database.
public protocol AuthRecordStore: Sendable {
    func authRecords<T: Sendable>(_ body: @Sendable (any AuthRecordWriter) throws -> T) async throws -> T
}

extension SQLiteStore: AuthRecordStore {
    public func authRecords<T: Sendable>(_ body: @Sendable (any AuthRecordWriter) throws -> T) async throws -> T {
        try await database.write { db in try body(SQLiteAuthRecords(db: db)) }
    }
}

struct SQLiteAuthRecords: AuthRecordWriter {
    let db: Database

    func record(kind: String, id: String) throws -> AuthRecord? {
        try Row.fetchOne(
            db, sql: "SELECT kind, id, org, family, expires_at, body FROM auth_records WHERE kind = ? AND id = ?",
            arguments: [kind, id]
        ).map(Self.record(from:))
    }

    func records(kind: String, unexpiredAt now: Date) throws -> [AuthRecord] {
        try Row.fetchAll(
            db, sql: "SELECT kind, id, org, family, expires_at, body FROM auth_records WHERE kind = ? AND expires_at > ?",
            arguments: [kind, now.timeIntervalSince1970]
        ).map(Self.record(from:))
    }

    func put(_ record: AuthRecord) throws {
        try db.execute(
            sql: """
                INSERT INTO auth_records (kind, id, org, family, expires_at, body) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (kind, id) DO UPDATE SET
                    org = excluded.org, family = excluded.family, expires_at = excluded.expires_at, body = excluded.body
                """,
            arguments: [record.kind, record.id, record.org, record.family, record.expiresAt.timeIntervalSince1970, record.body])
    }

    func delete(kind: String, id: String) throws -> Bool {
        try db.execute(sql: "DELETE FROM auth_records WHERE kind = ? AND id = ?", arguments: [kind, id])
        return db.changesCount > 0
    }

    func deleteFamily(kind: String, family: String) throws -> Int {
        try db.execute(sql: "DELETE FROM auth_records WHERE kind = ? AND family = ?", arguments: [kind, family])
        return db.changesCount
    }

    func deleteExpired(before now: Date) throws -> Int {
        try db.execute(sql: "DELETE FROM auth_records WHERE expires_at <= ?", arguments: [now.timeIntervalSince1970])
        return db.changesCount
    }

    static func record(from row: Row) throws -> AuthRecord {
        AuthRecord(
            kind: try row.decode(String.self, atIndex: 0), id: try row.decode(String.self, atIndex: 1),
            org: try row.decode(String.self, atIndex: 2), family: try row.decode(String.self, atIndex: 3),
            expiresAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 4)),
            body: try row.decode(Data.self, atIndex: 5))
    }
}
