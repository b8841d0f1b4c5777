import Foundation
import GatehousePolicy
import GatehouseStore
import Logging
import Testing

@testable import GatehouseControl

@Suite struct QuotaPersistenceTests {
    @Test func countsSurviveARestartAndEndedPeriodsAreDropped() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("quota-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gatehouse.sqlite").path
        let now = Date(timeIntervalSince1970: 1_000)
        let live = QuotaKey(quota: "acme/p/q", value: "acme", periodStart: 0)
        let ended = QuotaKey(quota: "acme/p/q", value: "acme", periodStart: -1_000)

        let store = try SQLiteStore(path: path)
        let first = QuotaCounter()
        for _ in 0..<3 { _ = first.consume(live, limit: 5, periodEnd: 2_000, now: 1_000) }
        _ = first.consume(ended, limit: 5, periodEnd: 1_000, now: 999)
        let persistence = QuotaPersistence(counter: first, store: store, logger: Logger(label: "test"))
        await persistence.flush(now: now)
        _ = first.consume(live, limit: 5, periodEnd: 2_000, now: 1_000)
        await persistence.flush(now: now)
        try store.close()

        let reopened = try SQLiteStore(path: path)
        defer { try? reopened.close() }
        let second = QuotaCounter()
        try await QuotaPersistence.load(into: second, from: reopened, now: now)
        #expect(second.count == 1)  // the ended period's count is gone
        let fifth = second.consume(live, limit: 5, periodEnd: 2_000, now: 1_000)
        #expect(fifth.allowed && fifth.remaining == 0 && fifth.resetSeconds == 1_000)
        #expect(!second.consume(live, limit: 5, periodEnd: 2_000, now: 1_000).allowed)
    }
}
