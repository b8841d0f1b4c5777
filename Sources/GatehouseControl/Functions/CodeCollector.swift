import Foundation
import GatehouseModel
import GatehouseStore
import Logging
import ServiceLifecycle

/// Removes uploaded code that no function uses any more (replaced by a newer upload, or its
/// function deleted), so the data directory does not grow with every deploy. Runs a minute
/// after start, then hourly; code changed within the last hour is kept (an upload in progress,
/// a worker still running the previous version).
struct CodeCollector: Service {
    let store: any Store
    let codes: CodeStore
    let logger: Logger
    static let firstPass: Duration = .seconds(60)
    static let interval: Duration = .seconds(3600)
    static let grace: TimeInterval = 3600

    func run() async throws {
        var wait = Self.firstPass
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { [wait] in try await Task.sleep(for: wait) }
            } catch {
                return  // shutting down
            }
            wait = Self.interval
            do {
                let removed = try await collect(now: Date())
                if removed > 0 { logger.info("removed unused code", metadata: ["entries": "\(removed)"]) }
            } catch {
                logger.warning("unused code was not collected", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One pass: the code every function of every org names is kept.
    @discardableResult
    func collect(now: Date) async throws -> Int {
        let used = try await store.read { reader in
            try reader.resources(Function.self, org: nil, after: nil, limit: nil).compactMap(\.code)
        }
        return codes.removeUnused(keeping: used, changedBefore: now.addingTimeInterval(-Self.grace))
    }
}
