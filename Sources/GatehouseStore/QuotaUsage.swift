import Foundation
import GRDB

/// How much of one quota one caller (or org) has used in one period. `key` is an opaque hash
/// chosen by the edge's counter (32 hex digits), which alone knows what it stands for.
public struct QuotaUsage: Sendable, Equatable {
    public var key: String
    public var used: Int64
    /// Seconds since 1970 when the period ends; the row is worthless after.
    public var periodEnd: Int64

    public init(key: String, used: Int64, periodEnd: Int64) {
        self.key = key
        self.used = used
        self.periodEnd = periodEnd
    }
}

/// Where quota counts survive restarts.
public protocol QuotaUsageStore: Sendable {
    /// Adds each delta to its row (creating it), and drops rows whose period ended before `now`.
    func addQuotaUsage(_ deltas: [QuotaUsage], now: Date) async throws
    /// Every row whose period has not ended at `now`.
    func quotaUsage(unendedAt now: Date) async throws -> [QuotaUsage]
}

extension SQLiteStore: QuotaUsageStore {
    public func addQuotaUsage(_ deltas: [QuotaUsage], now: Date) async throws {
        try await database.write { db in
            for delta in deltas {
                try db.execute(
                    sql: """
                        INSERT INTO quota_usage (key, used, period_end) VALUES (?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET used = used + excluded.used
                        """,
                    arguments: [delta.key, delta.used, delta.periodEnd])
            }
            try db.execute(sql: "DELETE FROM quota_usage WHERE period_end <= ?", arguments: [Int64(now.timeIntervalSince1970)])
        }
    }

    public func quotaUsage(unendedAt now: Date) async throws -> [QuotaUsage] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT key, used, period_end FROM quota_usage WHERE period_end > ?",
                arguments: [Int64(now.timeIntervalSince1970)]
            ).map { QuotaUsage(key: $0["key"], used: $0["used"], periodEnd: $0["period_end"]) }
        }
    }
}
