import NIOConcurrencyHelpers

/// Rate limiting state for every key (a principal, an API key, a client address, an org, a
/// route), shared by all event loops so a limit holds for the whole process, not per loop.
///
/// Each key costs one timestamp (GCRA). The table is split into shards, each behind its own
/// lock, so loops rarely contend; and it is bounded: a shard that is full first forgets keys
/// whose buckets are full again (they are indistinguishable from new keys), and if none is,
/// the key closest to full among a few — so a flood of distinct keys (spoofed addresses, made-up
/// API keys) costs bounded memory and at worst lets a nearly-idle key start over.
public final class RateLimiter: Sendable {
    public static let defaultCapacity = 100_000

    private let shards: [NIOLockedValueBox<Shard>]
    private let shardCapacity: Int

    private struct Shard {
        /// Key hash → theoretical arrival time (ns, on the caller's monotonic clock).
        var arrival: [UInt64: UInt64] = [:]
    }

    public init(capacity: Int = RateLimiter.defaultCapacity, shardCount: Int = 16) {
        let shardCount = max(1, shardCount)
        self.shardCapacity = max(1, capacity / shardCount)
        self.shards = (0..<shardCount).map { _ in NIOLockedValueBox(Shard()) }
    }

    /// Keys currently remembered (for tests and metrics).
    public var count: Int { shards.reduce(0) { $0 + $1.withLockedValue { $0.arrival.count } } }

    /// Counts a request of `key` against `limit` at `now` (monotonic nanoseconds).
    public func check(_ key: RateLimitKey, limit: RateLimit, now: UInt64) -> RateDecision {
        let interval = limit.interval
        let tolerance = limit.tolerance
        let shard = shards[Int(key.hash % UInt64(shards.count))]
        return shard.withLockedValue { shard in
            let arrival = max(shard.arrival[key.hash] ?? now, now)
            let ahead = arrival - now
            guard ahead <= tolerance else {
                return RateDecision(
                    allowed: false, remaining: 0, resetSeconds: Self.seconds(ahead),
                    retryAfterSeconds: max(1, Self.seconds(ahead - tolerance)))
            }
            let next = arrival + interval
            if shard.arrival[key.hash] == nil, shard.arrival.count >= shardCapacity {
                Self.makeRoom(in: &shard, now: now)
            }
            shard.arrival[key.hash] = next
            let used = next - now
            let remaining = used > tolerance + interval ? 0 : Int((tolerance + interval - used) / interval)
            return RateDecision(allowed: true, remaining: remaining, resetSeconds: Self.seconds(used), retryAfterSeconds: 0)
        }
    }

    /// Forgets keys whose bucket is full again; if there are none, the one closest to full
    /// among the first few.
    private static func makeRoom(in shard: inout Shard, now: UInt64) {
        let before = shard.arrival.count
        shard.arrival = shard.arrival.filter { $0.value > now }
        guard shard.arrival.count == before else { return }
        if let victim = shard.arrival.prefix(8).min(by: { $0.value < $1.value })?.key {
            shard.arrival[victim] = nil
        }
    }

    private static func seconds(_ nanoseconds: UInt64) -> Int {
        Int((nanoseconds + 999_999_999) / 1_000_000_000)
    }
}

/// What a limit counts by, hashed: `RateLimitKey("principal", subject)`. The hash is keyed
/// per process (Swift's `Hasher`), so clients cannot aim collisions at one another.
public struct RateLimitKey: Sendable, Hashable {
    public let hash: UInt64

    public init(_ parts: String...) {
        var hasher = Hasher()
        for part in parts {
            hasher.combine(part)
            hasher.combine(0 as UInt8)
        }
        hash = UInt64(bitPattern: Int64(hasher.finalize()))
    }
}
