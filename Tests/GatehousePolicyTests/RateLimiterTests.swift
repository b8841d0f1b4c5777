import Foundation
import Testing

@testable import GatehousePolicy

@Suite("Rate limiter (GCRA)")
struct RateLimiterTests {
    static let second: UInt64 = 1_000_000_000

    @Test("100 req/s with burst 20: 4 clients sending 1,000 req/s for 10 s get 1,000 to 1,020 through")
    func accuracyUnderLoad() {
        let limiter = RateLimiter()
        let limit = RateLimit(requests: 100, periodSeconds: 1, burst: 20)
        let key = RateLimitKey("org", "acme")
        var accepted = 0
        let start: UInt64 = 5 * Self.second
        // Each client sends every 4 ms, offset by 1 ms from the others: 1,000 req/s in all.
        for tick in 0..<10_000 {
            let now = start + UInt64(tick) * 1_000_000
            if limiter.check(key, limit: limit, now: now).allowed { accepted += 1 }
        }
        #expect((1000...1020).contains(accepted), "accepted \(accepted)")
    }

    @Test("no window edge: twice the rate across a period boundary is refused")
    func noBoundaryDoubling() {
        let limiter = RateLimiter()
        let limit = RateLimit(requests: 10, periodSeconds: 1, burst: 10)
        let key = RateLimitKey("ip", "192.0.2.1")
        // 10 at the end of one second, 10 at the start of the next: a fixed window lets 20 pass.
        let late = (0..<10).filter { limiter.check(key, limit: limit, now: Self.second - 1_000 + UInt64($0)).allowed }
        let early = (0..<10).filter { limiter.check(key, limit: limit, now: Self.second + 1_000 + UInt64($0)).allowed }
        #expect(late.count == 10)
        #expect(early.count == 0)
    }

    @Test("headers: remaining counts down, a refusal says when to retry and when the bucket is full")
    func decisions() {
        let limiter = RateLimiter()
        let limit = RateLimit(requests: 2, periodSeconds: 1, burst: 3)
        let key = RateLimitKey("principal", "alice")
        let now = 10 * Self.second
        let decisions = (0..<4).map { _ in limiter.check(key, limit: limit, now: now) }
        #expect(decisions.map(\.allowed) == [true, true, true, false])
        #expect(decisions.map(\.remaining) == [2, 1, 0, 0])
        #expect(decisions[2].resetSeconds == 2)  // three requests at 500 ms each
        #expect(decisions[3].retryAfterSeconds == 1)
        // Half a second later one more passes.
        #expect(limiter.check(key, limit: limit, now: now + Self.second / 2).allowed)
    }

    @Test("keys are independent, and a flood of distinct keys costs bounded memory")
    func boundedMemory() {
        let limiter = RateLimiter(capacity: 1_000, shardCount: 4)
        let limit = RateLimit(requests: 1, periodSeconds: 60, burst: 1)
        let now = 100 * Self.second
        #expect(limiter.check(RateLimitKey("ip", "a"), limit: limit, now: now).allowed)
        #expect(!limiter.check(RateLimitKey("ip", "a"), limit: limit, now: now).allowed)
        #expect(limiter.check(RateLimitKey("ip", "b"), limit: limit, now: now).allowed)
        for index in 0..<100_000 {
            _ = limiter.check(RateLimitKey("ip", "flood-\(index)"), limit: limit, now: now + UInt64(index))
        }
        #expect(limiter.count <= 1_000)
    }

    @Test("the limit holds across threads sharing the limiter")
    func concurrent() async {
        let limiter = RateLimiter()
        let limit = RateLimit(requests: 100, periodSeconds: 1, burst: 50)
        let key = RateLimitKey("route", "acme/hello")
        let now = 7 * Self.second
        let accepted = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { (0..<1_000).filter { _ in limiter.check(key, limit: limit, now: now).allowed }.count }
            }
            return await group.reduce(0, +)
        }
        #expect(accepted == 50)
    }
}
