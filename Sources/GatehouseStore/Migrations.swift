import GRDB

/// The schema of the SQLite store, as an ordered list of named migrations.
///
/// A migration, once released, is never edited: a file written by an older Gatehouse is brought
/// up to date by running only the migrations it has not seen (GRDB records applied identifiers in
/// `grdb_migrations`). Add new migrations at the end.
enum Migrations {
    static let documents = "v1-documents"
    static let settings = "v2-settings"
    static let changeLog = "v3-change-log"
    static let authRecords = "v4-auth-records"
    static let quotaUsage = "v5-quota-usage"
    static let runs = "v6-runs"

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        // Every resource, keyed as the admin API addresses it. The primary key's index also
        // serves listings (`WHERE kind = ? AND org = ? ORDER BY name`, and `ORDER BY org, name`
        // across orgs), so no second index on the same columns is needed. Not WITHOUT ROWID:
        // bodies may be up to a MiB, and SQLite advises rowid tables for rows that large.
        // `meta` holds the store-wide revision in its single row so that deletes, which leave no
        // document behind, still advance it.
        migrator.registerMigration(documents) { db in
            try db.execute(
                sql: """
                    CREATE TABLE documents (
                        kind TEXT NOT NULL,
                        org TEXT NOT NULL,
                        name TEXT NOT NULL,
                        revision INTEGER NOT NULL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        body BLOB NOT NULL,
                        sealed BLOB,
                        PRIMARY KEY (kind, org, name)
                    );
                    CREATE TABLE meta (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        revision INTEGER NOT NULL
                    );
                    INSERT INTO meta (id, revision) VALUES (1, 0);
                    """)
        }

        // Platform settings such as the admin token's hash: not resources, no revision.
        migrator.registerMigration(settings) { db in
            try db.execute(
                sql: """
                    CREATE TABLE settings (
                        name TEXT PRIMARY KEY NOT NULL,
                        value BLOB NOT NULL
                    );
                    """)
        }

        // One row per put/delete, keyed by the revision it produced: what a follower (a future
        // multi-instance deployment) replays. Pruned to the most recent rows on every write.
        migrator.registerMigration(changeLog) { db in
            try db.execute(
                sql: """
                    CREATE TABLE changes (
                        revision INTEGER PRIMARY KEY NOT NULL,
                        kind TEXT NOT NULL,
                        org TEXT NOT NULL,
                        name TEXT NOT NULL,
                        op TEXT NOT NULL CHECK (op IN ('put', 'delete')),
                        at REAL NOT NULL
                    );
                    """)
        }

        // Login state that is not configuration: sessions and refresh tokens. Not documents,
        // so writing one neither advances the revision nor rebuilds the edge's snapshot.
        // `id` is a hash of the credential, never the credential; `family` groups records
        // revoked together (a login's refresh tokens); `expires_at` lets sweeps drop the dead.
        migrator.registerMigration(authRecords) { db in
            try db.execute(
                sql: """
                    CREATE TABLE auth_records (
                        kind TEXT NOT NULL,
                        id TEXT NOT NULL,
                        org TEXT NOT NULL,
                        family TEXT NOT NULL,
                        expires_at REAL NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (kind, id)
                    );
                    CREATE INDEX auth_records_family ON auth_records (kind, family);
                    """)
        }

        // How much of each quota is used: counts, not configuration, so like `auth_records`
        // they advance no revision. `key` is a hash of the rule, the counted caller and the
        // period (who called is not stored); `period_end` lets sweeps drop ended periods.
        migrator.registerMigration(quotaUsage) { db in
            try db.execute(
                sql: """
                    CREATE TABLE quota_usage (
                        key TEXT NOT NULL PRIMARY KEY,
                        used INTEGER NOT NULL,
                        period_end INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }

        // Function runs: records, not configuration, so they advance no revision. `record` is
        // the run's JSON (bounded output and logs); the columns beside it serve the listings
        // (an org's runs newest first, optionally of one function) and the queue's recovery.
        // `run_requests` holds an accepted asynchronous run's request until the run ends, so a
        // restart finds every run that was accepted and not finished.
        migrator.registerMigration(runs) { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id TEXT NOT NULL PRIMARY KEY,
                        org TEXT NOT NULL,
                        function TEXT NOT NULL,
                        status TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        record BLOB NOT NULL
                    );
                    CREATE INDEX runs_by_org ON runs (org, created_at DESC, id DESC);
                    CREATE INDEX runs_by_function ON runs (org, function, created_at DESC, id DESC);
                    CREATE INDEX runs_by_status ON runs (status) WHERE status IN ('queued', 'running');
                    CREATE TABLE run_requests (
                        id TEXT NOT NULL PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
                        request BLOB NOT NULL
                    );
                    """)
        }

        return migrator
    }
}
