import Foundation
import GatehousePolicy
import GatehouseStore
import Logging
import ServiceLifecycle

/// Keeps the edge's quota counts across restarts: loads what the store remembers before the
/// edge takes traffic, then writes what was counted every `interval`, and once more on the way
/// out. A crash loses at most one interval's counts (callers get that much more).
struct QuotaPersistence: Service {
    static let interval: Duration = .seconds(1)

    let counter: QuotaCounter
    let store: any QuotaUsageStore
    let logger: Logger

    /// Before the listeners start: the counts of every period that has not ended.
    static func load(into counter: QuotaCounter, from store: any QuotaUsageStore, now: Date = Date()) async throws {
        let rows = try await store.quotaUsage(unendedAt: now)
        counter.load(rows.compactMap { row in QuotaKey(hex: row.key).map { ($0, row.used, row.periodEnd) } })
    }

    func run() async throws {
        // Sleeps until shutdown; the last flush runs after the listeners have drained, since
        // services stop in reverse order.
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: Self.interval)
            await flush()
        }
        await flush()
    }

    func flush(now: Date = Date()) async {
        let deltas = counter.drain()
        guard !deltas.isEmpty else { return }
        do {
            try await store.addQuotaUsage(
                deltas.map { QuotaUsage(key: $0.key.description, used: $0.delta, periodEnd: $0.periodEnd) }, now: now)
        } catch {
            counter.undrain(deltas)
            logger.error("quota counts not saved; retrying", metadata: ["error": "\(error)"])
        }
    }
}
