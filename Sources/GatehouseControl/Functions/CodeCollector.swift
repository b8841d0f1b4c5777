import Foundation
import GatehouseModel
import GatehouseStore
import Logging
import ServiceLifecycle

/// Removes uploaded code that no function uses any more (replaced by a newer upload, its
/// function deleted or moved to another runtime, an upload refused), so the data directory
/// holds what the functions name and little more. A pass runs after every change to the store
/// (passes coalesce), after an upload is refused, and hourly. Code an upload in progress holds
/// is spared (`CodeHolds`); staging left by an upload the server never finished goes after an hour.
struct CodeCollector: Service {
    let store: any Store
    let codes: CodeStore
    let logger: Logger
    var holds: CodeHolds = .shared
    static let interval: Duration = .seconds(3600)
    static let abandonedAfter: TimeInterval = 3600

    func run() async throws {
        let (passes, due) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try? await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in store.revisions() { due.yield() }
                    due.finish()
                }
                group.addTask {
                    while (try? await Task.sleep(for: Self.interval)) != nil { due.yield() }
                    due.finish()
                }
                for await _ in passes { await collectLogging() }
                group.cancelAll()
            }
        }
    }

    /// A pass that logs what it did instead of throwing.
    func collectLogging() async {
        do {
            let removed = try await collect(now: Date())
            if removed > 0 { logger.info("removed unused code", metadata: ["entries": "\(removed)"]) }
        } catch {
            logger.warning("unused code was not collected", metadata: ["error": "\(error)"])
        }
    }

    /// One pass: the code every function of every org names is kept, and what uploads hold.
    @discardableResult
    func collect(now: Date) async throws -> Int {
        let begun = holds.beginPass()
        let used: [Function.Code]
        do {
            used = try await store.read { reader in
                try reader.resources(Function.self, org: nil, after: nil, limit: nil).compactMap(\.code)
            }
        } catch {
            holds.endPass(begunAt: begun) { _ in }
            throw error
        }
        return holds.endPass(begunAt: begun) { spared in
            codes.removeUnused(keeping: used, sparing: spared, abandonedBefore: now.addingTimeInterval(-Self.abandonedAfter))
        }
    }
}
