import Foundation
import GatehouseModel
import GRDB

/// The store's queries over one GRDB connection, inside a transaction the caller opened.
///
/// Reads and writes are separate types on purpose: the value handed to a `read` closure cannot
/// be cast to `StoreWriter`, so a read transaction cannot write even by mistake.
struct SQLiteReader: StoreReader {
    let db: Database

    private static let documentColumns = "kind, org, name, revision, created_at, updated_at, body, sealed"

    func document(_ key: ResourceKey) throws -> StoredDocument? {
        try Row.fetchOne(
            db,
            sql: "SELECT \(Self.documentColumns) FROM documents WHERE kind = ? AND org = ? AND name = ?",
            arguments: [key.kind.singular, key.org, key.name]
        ).map(Self.document(from:))
    }

    func versions(kind: ResourceKind) throws -> [ResourceKey: Int64] {
        var versions: [ResourceKey: Int64] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT org, name, revision FROM documents WHERE kind = ?", arguments: [kind.singular])
        while let row = try rows.next() {
            versions[ResourceKey(kind: kind, org: row["org"], name: row["name"])] = row["revision"]
        }
        return versions
    }

    func documents(kind: ResourceKind, org: String?, after: String?, limit: Int?) throws -> [StoredDocument] {
        if let limit, limit < 0 { throw StoreError.invalidLimit(limit) }
        var sql = "SELECT \(Self.documentColumns) FROM documents WHERE kind = ?"
        var arguments: StatementArguments = [kind.singular]
        switch (org, after) {
        case (let org?, let after?):
            sql += " AND org = ? AND name > ?"
            arguments += [org, after]
        case (let org?, nil):
            sql += " AND org = ?"
            arguments += [org]
        case (nil, let after?):
            let cursor = try Self.splitOrgCursor(after)
            sql += " AND (org, name) > (?, ?)"
            arguments += [cursor.org, cursor.name]
        case (nil, nil):
            break
        }
        sql += " ORDER BY org, name"
        if let limit {
            sql += " LIMIT ?"
            arguments += [limit]
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.document(from:))
    }

    func count(kind: ResourceKind, org: String) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM documents WHERE kind = ? AND org = ?",
            arguments: [kind.singular, org]) ?? 0
    }

    func revision() throws -> Int64 {
        guard let revision = try Int64.fetchOne(db, sql: "SELECT revision FROM meta WHERE id = 1") else {
            throw StoreError.corruptDocument(nil, reason: "the meta table has no revision row")
        }
        return revision
    }

    func setting(_ name: String) throws -> Data? {
        try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE name = ?", arguments: [name])
    }

    /// A cross-org cursor is "org/name". Names never contain "/", so the first one separates;
    /// platform-wide documents (org "") have cursors of the form "/name".
    static func splitOrgCursor(_ cursor: String) throws -> (org: String, name: String) {
        guard let slash = cursor.firstIndex(of: "/") else { throw StoreError.invalidCursor(cursor) }
        return (String(cursor[..<slash]), String(cursor[cursor.index(after: slash)...]))
    }

    /// Decodes a row selected with `documentColumns`, throwing rather than trapping on bad data.
    static func document(from row: Row) throws -> StoredDocument {
        let kindName = try row.decode(String.self, atIndex: 0)
        let org = try row.decode(String.self, atIndex: 1)
        let name = try row.decode(String.self, atIndex: 2)
        guard let kind = ResourceKind(singular: kindName) else {
            throw StoreError.corruptDocument(nil, reason: "unknown kind '\(kindName)' for \(org)/\(name)")
        }
        return StoredDocument(
            key: ResourceKey(kind: kind, org: org, name: name),
            revision: try row.decode(Int64.self, atIndex: 3),
            createdAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 4)),
            updatedAt: Date(timeIntervalSince1970: try row.decode(Double.self, atIndex: 5)),
            body: try row.decode(Data.self, atIndex: 6),
            sealed: try row.decode(Data?.self, atIndex: 7))
    }
}

struct SQLiteWriter: StoreWriter {
    /// How many change-log rows are kept: enough for a follower that was briefly away to catch
    /// up; one that falls further behind reloads everything.
    static let changeLogLength: Int64 = 10_000

    let db: Database
    private var reader: SQLiteReader { SQLiteReader(db: db) }

    init(db: Database) { self.db = db }

    func document(_ key: ResourceKey) throws -> StoredDocument? { try reader.document(key) }

    func documents(kind: ResourceKind, org: String?, after: String?, limit: Int?) throws -> [StoredDocument] {
        try reader.documents(kind: kind, org: org, after: after, limit: limit)
    }

    func count(kind: ResourceKind, org: String) throws -> Int { try reader.count(kind: kind, org: org) }
    func versions(kind: ResourceKind) throws -> [ResourceKey: Int64] { try reader.versions(kind: kind) }
    func revision() throws -> Int64 { try reader.revision() }
    func setting(_ name: String) throws -> Data? { try reader.setting(name) }

    @discardableResult
    func put(_ key: ResourceKey, body: Data, sealed: Data?) throws -> StoredDocument {
        // Timestamps are stored as REAL seconds since 1970. Dates are always built from the
        // stored Double (never converted back), so the returned document equals a later read.
        let nowSeconds = Date().timeIntervalSince1970
        let createdSeconds = try Double.fetchOne(
            db, sql: "SELECT created_at FROM documents WHERE kind = ? AND org = ? AND name = ?",
            arguments: [key.kind.singular, key.org, key.name]) ?? nowSeconds
        let revision = try advanceRevision(key, op: "put", atSeconds: nowSeconds)
        try db.execute(
            sql: """
                INSERT INTO documents (kind, org, name, revision, created_at, updated_at, body, sealed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (kind, org, name) DO UPDATE SET
                    revision = excluded.revision, updated_at = excluded.updated_at,
                    body = excluded.body, sealed = excluded.sealed
                """,
            arguments: [
                key.kind.singular, key.org, key.name, revision, createdSeconds, nowSeconds, body, sealed,
            ])
        return StoredDocument(
            key: key, revision: revision, createdAt: Date(timeIntervalSince1970: createdSeconds),
            updatedAt: Date(timeIntervalSince1970: nowSeconds), body: body, sealed: sealed)
    }

    /// Deleting what is not there changes nothing and so does not advance the revision.
    @discardableResult
    func delete(_ key: ResourceKey) throws -> StoredDocument? {
        guard let existing = try document(key) else { return nil }
        try db.execute(
            sql: "DELETE FROM documents WHERE kind = ? AND org = ? AND name = ?",
            arguments: [key.kind.singular, key.org, key.name])
        try advanceRevision(key, op: "delete", atSeconds: Date().timeIntervalSince1970)
        return existing
    }

    /// Settings are not resources: changing one does not advance the revision.
    func setSetting(_ name: String, _ value: Data) throws {
        try db.execute(
            sql: "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            arguments: [name, value])
    }

    /// Takes the next store-wide revision for a change to `key`, records the change, and trims
    /// the change log. Revisions advance by exactly one per change, so the last N rows are those
    /// above `revision - N`.
    @discardableResult
    private func advanceRevision(_ key: ResourceKey, op: String, atSeconds seconds: Double) throws -> Int64 {
        try db.execute(sql: "UPDATE meta SET revision = revision + 1 WHERE id = 1")
        let revision = try reader.revision()
        try db.execute(
            sql: "INSERT INTO changes (revision, kind, org, name, op, at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [revision, key.kind.singular, key.org, key.name, op, seconds])
        try db.execute(
            sql: "DELETE FROM changes WHERE revision <= ?", arguments: [revision - Self.changeLogLength])
        return revision
    }
}
