import Foundation
import GRDB
import GatehouseModel

/// Where function runs are kept: the runs API reads them, the runs service writes them, and an
/// asynchronous run's request waits in `run_requests` until the run ends.
public protocol RunRecordStore: Sendable {
    /// Inserts or replaces runs (a batch of finished synchronous runs, or a run's new state).
    func saveRuns(_ runs: [Run]) async throws
    /// Saves a queued run together with its request, in one transaction: once this returns,
    /// a restart finds the run.
    func enqueueRun(_ run: Run, request: Data) async throws
    /// Saves a finished run and forgets its request.
    func finishRun(_ run: Run) async throws
    func run(org: String, id: String) async throws -> Run?
    /// An org's runs, newest first; `after` is the id of the last run of the previous page.
    func runs(org: String, function: String?, after: String?, limit: Int) async throws -> [Run]
    /// Runs left `queued` or `running` (by a stop or a crash), oldest first, with their requests.
    func unfinishedRuns() async throws -> [(run: Run, request: Data?)]
    /// One run left `queued` or `running`, with its request.
    func unfinishedRun(id: String) async throws -> (run: Run, request: Data?)?
    /// Keeps each org's newest `keep` runs and drops finished runs older than `before`.
    func pruneRuns(keepPerOrg keep: Int, before: Date) async throws
}

extension SQLiteStore: RunRecordStore {
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    private static func upsert(_ run: Run, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO runs (id, org, function, status, created_at, record) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record
                """,
            arguments: [run.id, run.org, run.function, run.status.rawValue, run.createdAt.timeIntervalSince1970, try encoder.encode(run)])
    }

    private static func decode(_ row: Row) throws -> Run {
        try decoder.decode(Run.self, from: row["record"] as Data)
    }

    public func saveRuns(_ runs: [Run]) async throws {
        guard !runs.isEmpty else { return }
        try await database.write { db in
            for run in runs { try Self.upsert(run, in: db) }
        }
    }

    public func enqueueRun(_ run: Run, request: Data) async throws {
        try await database.write { db in
            try Self.upsert(run, in: db)
            try db.execute(sql: "INSERT OR REPLACE INTO run_requests (id, request) VALUES (?, ?)", arguments: [run.id, request])
        }
    }

    public func finishRun(_ run: Run) async throws {
        try await database.write { db in
            try Self.upsert(run, in: db)
            try db.execute(sql: "DELETE FROM run_requests WHERE id = ?", arguments: [run.id])
        }
    }

    public func run(org: String, id: String) async throws -> Run? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT record FROM runs WHERE id = ? AND org = ?", arguments: [id, org]).map(Self.decode)
        }
    }

    public func runs(org: String, function: String?, after: String?, limit: Int) async throws -> [Run] {
        try await database.read { db in
            var sql = "SELECT record FROM runs WHERE org = ?"
            var arguments: StatementArguments = [org]
            if let function {
                sql += " AND function = ?"
                arguments += [function]
            }
            if let after, let cursor = try Row.fetchOne(
                db, sql: "SELECT created_at, id FROM runs WHERE id = ? AND org = ?", arguments: [after, org])
            {
                let createdAt: Double = cursor["created_at"]
                let id: String = cursor["id"]
                sql += " AND (created_at < ? OR (created_at = ? AND id < ?))"
                arguments += [createdAt, createdAt, id]
            }
            sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
            arguments += [limit]
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.decode)
        }
    }

    public func unfinishedRuns() async throws -> [(run: Run, request: Data?)] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT runs.record, run_requests.request FROM runs LEFT JOIN run_requests ON run_requests.id = runs.id
                    WHERE runs.status IN ('queued', 'running') ORDER BY runs.created_at
                    """
            ).map { (run: try Self.decode($0), request: $0["request"] as Data?) }
        }
    }

    public func unfinishedRun(id: String) async throws -> (run: Run, request: Data?)? {
        try await database.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT runs.record, run_requests.request FROM runs LEFT JOIN run_requests ON run_requests.id = runs.id
                    WHERE runs.id = ? AND runs.status IN ('queued', 'running')
                    """, arguments: [id]
            ).map { (run: try Self.decode($0), request: $0["request"] as Data?) }
        }
    }

    public func pruneRuns(keepPerOrg keep: Int, before: Date) async throws {
        try await database.write { db in
            try db.execute(
                sql: """
                    DELETE FROM runs WHERE status NOT IN ('queued', 'running') AND (created_at < ? OR id IN (
                        SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY org ORDER BY created_at DESC, id DESC) AS n FROM runs)
                        WHERE n > ?))
                    """,
                arguments: [before.timeIntervalSince1970, keep])
        }
    }
}
