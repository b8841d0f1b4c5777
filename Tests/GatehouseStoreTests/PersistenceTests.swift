import Foundation
import GRDB
import Testing
@testable import GatehouseStore

@Suite("SQLiteStore file, durability settings and migrations")
struct PersistenceTests {
    @Test func dataSurvivesClosingAndReopening() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("gatehouse.sqlite").path
            let store = try SQLiteStore(path: path)
            let written = try await store.write { writer in
                try writer.setSetting("admin-token-hash", Data([7]))
                try writer.put(functionKey("acme", "gone"), body: body("{}"), sealed: nil)
                try writer.delete(functionKey("acme", "gone"))
                return try writer.put(functionKey("acme", "kept"), body: body(#"{"x":1}"#), sealed: Data([9]))
            }
            try store.close()

            let reopened = try SQLiteStore(path: path)
            defer { try? reopened.close() }
            #expect(try await reopened.read { try $0.document(functionKey("acme", "kept")) } == written)
            #expect(try await reopened.read { try $0.revision() } == 3)
            #expect(try await reopened.read { try $0.setting("admin-token-hash") } == Data([7]))
            let next = try await reopened.write { try $0.put(functionKey("acme", "new"), body: body("{}"), sealed: nil) }
            #expect(next.revision == 4)
        }
    }

    @Test func createsTheParentDirectoryAndAPrivateFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("nested/data/gatehouse.sqlite").path
            let store = try SQLiteStore(path: path)
            defer { try? store.close() }
            #expect(FileManager.default.fileExists(atPath: path))
            #expect(try permissions(of: path) == 0o600)
        }
    }

    @Test func usesWALFullSyncForeignKeysAndABusyTimeout() async throws {
        try await withStore { store, _ in
            let pragmas = try await store.database.writeWithoutTransaction { db in
                (
                    try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                    try Int.fetchOne(db, sql: "PRAGMA synchronous"),
                    try Int.fetchOne(db, sql: "PRAGMA foreign_keys"),
                    try Int.fetchOne(db, sql: "PRAGMA busy_timeout")
                )
            }
            #expect(pragmas.0 == "wal")
            #expect(pragmas.1 == 2)  // FULL
            #expect(pragmas.2 == 1)
            #expect(pragmas.3 == Int(SQLiteStore.busyTimeout * 1000))
        }
    }

    @Test func runningTheMigratorAgainChangesNothing() async throws {
        try await withStore { store, _ in
            try await store.write { try $0.put(functionKey("acme", "a"), body: body("{}"), sealed: nil) }
            let before = try await store.database.read { db in try Migrations.migrator.appliedIdentifiers(db) }
            try Migrations.migrator.migrate(store.database)
            try Migrations.migrator.migrate(store.database)
            let after = try await store.database.read { db in try Migrations.migrator.appliedIdentifiers(db) }
            #expect(before == after)
            #expect(after == Set(Migrations.migrator.migrations))
            #expect(try await store.database.read { db in try Migrations.migrator.hasSchemaChanges(db) } == false)
            #expect(try await store.read { try $0.revision() } == 1)
            #expect(try await store.read { try $0.count(kind: .function, org: "acme") } == 1)
        }
    }

    @Test func upgradesAFileThatOnlyHasTheFirstMigration() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("old.sqlite").path
            // The first release's schema, written as that release would have left it.
            let old = try DatabaseQueue(path: path)
            try await old.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                        INSERT INTO grdb_migrations VALUES ('v1-documents');
                        CREATE TABLE documents (
                            kind TEXT NOT NULL, org TEXT NOT NULL, name TEXT NOT NULL,
                            revision INTEGER NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                            body BLOB NOT NULL, sealed BLOB, PRIMARY KEY (kind, org, name));
                        CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
                        INSERT INTO meta VALUES (1, 5);
                        INSERT INTO documents VALUES ('function', 'acme', 'old', 5, 1000.0, 2000.0, X'7B7D', NULL);
                        """)
            }
            try old.close()

            let store = try SQLiteStore(path: path)
            defer { try? store.close() }
            let applied = try await store.database.read { db in try Migrations.migrator.appliedMigrations(db) }
            #expect(applied == Migrations.migrator.migrations)
            let document = try await store.read { try $0.document(functionKey("acme", "old")) }
            #expect(document?.revision == 5)
            #expect(document?.createdAt == Date(timeIntervalSince1970: 1000))
            #expect(document?.body == body("{}"))
            try await store.write { try $0.setSetting("s", Data([1])) }
            let next = try await store.write { try $0.put(functionKey("acme", "new"), body: body("{}"), sealed: nil) }
            #expect(next.revision == 6)
            let logged = try await store.database.read { db in
                try Int64.fetchAll(db, sql: "SELECT revision FROM changes")
            }
            #expect(logged == [6])
        }
    }

    @Test func refusesAFileFromANewerSchema() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("new.sqlite").path
            try SQLiteStore(path: path).close()
            let raw = try DatabaseQueue(path: path)
            try await raw.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99-future')") }
            try raw.close()
            #expect(throws: StoreError.schemaTooNew(path: path)) { try SQLiteStore(path: path) }
        }
    }
}
