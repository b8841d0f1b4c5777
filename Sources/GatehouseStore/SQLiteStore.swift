import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode, accessed through GRDB.
///
/// A `DatabasePool` rather than a `DatabaseQueue`: writes are serialized on one connection
/// either way, but the pool gives each read its own connection and a WAL snapshot, so the edge
/// rebuilding its snapshot and the admin API listing resources do not wait behind a write (or
/// behind each other).
///
/// Durability: `synchronous = FULL` syncs the WAL on every commit, so a write that `write`
/// acknowledged survives kill -9 and power loss.
public final class SQLiteStore: Store, Sendable {
    /// How long a connection waits for a lock held by another connection (or process) before
    /// failing with SQLITE_BUSY.
    public static let busyTimeout: TimeInterval = 10

    public let path: String
    /// Internal so tests can inspect the file's pragmas and migrations.
    let database: DatabasePool
    private let broadcaster: RevisionBroadcaster

    /// Opens (creating if missing) the store at `path`, creating its parent directory, and
    /// brings the schema up to date.
    public init(path: String) throws {
        self.path = path
        do {
            try Self.prepareFile(at: path)
            database = try DatabasePool(path: path, configuration: Self.configuration)
            // GRDB switches the writer to WAL after `prepareDatabase` ran and sets
            // synchronous = NORMAL while doing so; only the writer writes, so FULL goes here.
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            if try database.read({ db in try Migrations.migrator.hasBeenSuperseded(db) }) {
                throw StoreError.schemaTooNew(path: path)
            }
            try Migrations.migrator.migrate(database)
            let revision = try database.read { db in try SQLiteReader(db: db).revision() }
            broadcaster = RevisionBroadcaster(current: revision)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
    }

    deinit {
        broadcaster.finish()
    }

    /// Closes the database and ends every `revisions()` stream. Later transactions fail.
    public func close() throws {
        broadcaster.finish()
        try database.close()
    }

    public func read<T: Sendable>(_ body: @Sendable (any StoreReader) throws -> T) async throws -> T {
        try await database.read { db in try body(SQLiteReader(db: db)) }
    }

    @discardableResult
    public func write<T: Sendable>(_ body: @Sendable (any StoreWriter) throws -> T) async throws -> T {
        let broadcaster = self.broadcaster
        return try await database.write { db in
            let result = try body(SQLiteWriter(db: db))
            let revision = try SQLiteReader(db: db).revision()
            // Runs on GRDB's writer queue right after the commit, in commit order, so
            // subscribers see revisions in order and only ones that are durable.
            db.afterNextTransaction(onCommit: { _ in broadcaster.publish(revision) })
            return result
        }
    }

    public func revisions() -> AsyncStream<Int64> {
        broadcaster.subscribe()
    }

    private static var configuration: Configuration {
        var configuration = Configuration()
        configuration.label = "gatehouse.store"
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        return configuration
    }

    /// Creates the parent directory and an empty database file, both private to the owner:
    /// the file holds sealed secrets and credential hashes. SQLite gives the -wal and -shm
    /// files the mode of the database file.
    private static func prepareFile(at path: String) throws {
        let url = URL(fileURLWithPath: path)
        try PrivateFile.createDirectory(url.deletingLastPathComponent())
        try PrivateFile.createIfMissing(path)
    }
}
