import Foundation
import Testing

@testable import GatehousePolicy

@Suite struct QuotaCounterTests {
    @Test func countsUpToTheLimitAndNotBeyond() {
        let counter = QuotaCounter()
        let key = QuotaKey(quota: "acme/p/daily", value: "acme", periodStart: 0)
        var allowed = 0
        for _ in 0..<10 where counter.consume(key, limit: 7, periodEnd: 86_400, now: 86_000).allowed { allowed += 1 }
        #expect(allowed == 7)
        let refused = counter.consume(key, limit: 7, periodEnd: 86_400, now: 86_000)
        #expect(refused == QuotaDecision(allowed: false, remaining: 0, resetSeconds: 400))
        // Refused requests are not counted: only the 7 are saved.
        #expect(counter.drain().map(\.delta) == [7])
        #expect(counter.drain().isEmpty)
    }

    @Test func loadedCountsAddToLiveOnesAndFailedSavesAreKept() {
        let counter = QuotaCounter()
        let key = QuotaKey(quota: "acme/p/monthly", value: "user:ann", periodStart: 100)
        #expect(counter.consume(key, limit: 10, periodEnd: 1_000, now: 200).remaining == 9)
        counter.load([(key, 8, 1_000)])
        #expect(counter.consume(key, limit: 10, periodEnd: 1_000, now: 200).remaining == 0)
        #expect(!counter.consume(key, limit: 10, periodEnd: 1_000, now: 200).allowed)
        let drained = counter.drain()
        #expect(drained.map(\.delta) == [2])
        counter.undrain(drained)
        #expect(counter.drain().map(\.delta) == [2])
    }

    @Test func keysAreStableAcrossProcessesAndDistinct() {
        let key = QuotaKey(quota: "acme/p/q", value: "acme", periodStart: 1_764_547_200)
        #expect(key.description.count == 32)
        #expect(QuotaKey(hex: key.description) == key)
        #expect(key == QuotaKey(quota: "acme/p/q", value: "acme", periodStart: 1_764_547_200))
        #expect(key != QuotaKey(quota: "acme/p/q", value: "acme", periodStart: 1_764_633_600))
        #expect(key != QuotaKey(quota: "acme/p/q2", value: "acme", periodStart: 1_764_547_200))
        #expect(QuotaKey(hex: "xyz") == nil)
    }

    @Test func periodsAreUTCCalendarDaysAndMonths() {
        let now = Date(timeIntervalSince1970: 1_764_083_000)  // 2025-11-25T15:03:20Z
        let day = CompiledQuota(id: "q", name: "q", requests: 1, period: .day, key: .org).window(at: now)
        #expect(day.start == 1_764_028_800 && day.end == 1_764_115_200)
        let month = CompiledQuota(id: "q", name: "q", requests: 1, period: .month, key: .org).window(at: now)
        #expect(month.start == 1_761_955_200 && month.end == 1_764_547_200)  // Nov 1 – Dec 1
    }

    @Test func endedPeriodsAreSweptAsNewKeysArrive() {
        let counter = QuotaCounter(shardCount: 1)
        for index in 0..<1024 {
            _ = counter.consume(QuotaKey(quota: "q", value: "\(index)", periodStart: 0), limit: 5, periodEnd: 100, now: 50)
        }
        _ = counter.drain()
        #expect(counter.count == 1024)
        _ = counter.consume(QuotaKey(quota: "q", value: "new", periodStart: 100), limit: 5, periodEnd: 200, now: 150)
        #expect(counter.count == 1)
    }
}

@Suite struct QuotaWindowTests {
    /// The integer calendar agrees with Foundation's for every day of 1969–2101.
    @Test func monthsAgreeWithFoundationsCalendar() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let quota = CompiledQuota(id: "q", name: "q", requests: 1, period: .month, key: .org)
        for day in stride(from: Int64(-365), to: 48_000, by: 7) {
            let now = day * 86_400 + 43_210
            let expected = calendar.dateInterval(of: .month, for: Date(timeIntervalSince1970: TimeInterval(now)))!
            let window = quota.window(at: now)
            #expect(window.start == Int64(expected.start.timeIntervalSince1970))
            #expect(window.end == Int64(expected.end.timeIntervalSince1970))
        }
    }
}
