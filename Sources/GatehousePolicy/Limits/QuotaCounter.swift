import NIOConcurrencyHelpers

/// Every quota's count in this process, shared by the event loops; the control plane adds what
/// the store remembers at start-up (`load`) and writes what was counted since (`drain`) every
/// second, so a restart loses at most that second's counts.
///
/// Keys are verified callers or orgs, never addresses (`Policy.QuotaRule.Key`), so the table
/// holds at most one entry per real caller, rule and period; entries whose period has ended are
/// swept as new ones arrive.
public final class QuotaCounter: Sendable {
    private struct Entry {
        var used: Int64
        /// Counted here and not yet handed to `drain`.
        var unsaved: Int64
        /// When the period ends, seconds since 1970: the entry is worthless after.
        var end: Int64
    }

    private struct Shard {
        var entries: [QuotaKey: Entry] = [:]
        /// Entry count at which the next insert sweeps ended periods first.
        var sweepAt = 1024
    }

    private let shards: [NIOLockedValueBox<Shard>]

    public init(shardCount: Int = 16) {
        shards = (0..<max(1, shardCount)).map { _ in NIOLockedValueBox(Shard()) }
    }

    private func shard(_ key: QuotaKey) -> NIOLockedValueBox<Shard> { shards[Int(key.low % UInt64(shards.count))] }

    /// Counts one request against `limit` if it fits; a refused request is not counted.
    public func consume(_ key: QuotaKey, limit: Int64, periodEnd: Int64, now: Int64) -> QuotaDecision {
        shard(key).withLockedValue { shard in
            var entry = shard.entries[key] ?? Entry(used: 0, unsaved: 0, end: periodEnd)
            let reset = max(1, periodEnd - now)
            guard entry.used < limit else {
                return QuotaDecision(allowed: false, remaining: 0, resetSeconds: reset)
            }
            entry.used += 1
            entry.unsaved += 1
            if shard.entries[key] == nil, shard.entries.count >= shard.sweepAt {
                shard.entries = shard.entries.filter { $0.value.end > now || $0.value.unsaved > 0 }
                shard.sweepAt = max(1024, shard.entries.count * 2)
            }
            shard.entries[key] = entry
            return QuotaDecision(allowed: true, remaining: limit - entry.used, resetSeconds: reset)
        }
    }

    /// Counts the store remembers, added to what this process counted (which it has not saved).
    public func load(_ counts: [(key: QuotaKey, used: Int64, periodEnd: Int64)]) {
        for count in counts {
            shard(count.key).withLockedValue { shard in
                var entry = shard.entries[count.key] ?? Entry(used: 0, unsaved: 0, end: count.periodEnd)
                entry.used += count.used
                shard.entries[count.key] = entry
            }
        }
    }

    /// What was counted since the last drain, to add to the store; `undrain` puts it back if
    /// the write fails.
    public func drain() -> [(key: QuotaKey, delta: Int64, periodEnd: Int64)] {
        var result: [(key: QuotaKey, delta: Int64, periodEnd: Int64)] = []
        for shard in shards {
            shard.withLockedValue { shard in
                for (key, entry) in shard.entries where entry.unsaved > 0 {
                    result.append((key, entry.unsaved, entry.end))
                    shard.entries[key]?.unsaved = 0
                }
            }
        }
        return result
    }

    public func undrain(_ deltas: [(key: QuotaKey, delta: Int64, periodEnd: Int64)]) {
        for delta in deltas {
            shard(delta.key).withLockedValue { shard in
                shard.entries[delta.key, default: Entry(used: delta.delta, unsaved: 0, end: delta.periodEnd)].unsaved += delta.delta
            }
        }
    }

    /// Entries held (for tests and metrics).
    public var count: Int { shards.reduce(0) { $0 + $1.withLockedValue { $0.entries.count } } }
}
