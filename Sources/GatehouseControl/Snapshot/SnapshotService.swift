import GatehouseEdge
import GatehouseModel
import GatehouseStore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Follows the store's committed revisions and rebuilds the edge's snapshot off the request
/// path; the edge swaps it in whole.
final class SnapshotService: Service, Sendable {
    private let store: any Store
    private let edge: EdgeServer
    private let health: HealthState
    private let logger: Logger

    init(store: any Store, edge: EdgeServer, health: HealthState, logger: Logger) {
        self.store = store
        self.edge = edge
        self.health = health
        self.logger = logger
    }

    /// Only the service's own task updates it; the lock makes that visible to the compiler.
    private let builder = NIOLockedValueBox(SnapshotBuilder())

    /// Builds and publishes the snapshot of the store as it is now, recompiling only what
    /// changed since the last one.
    func publishCurrent() async throws {
        let builder = self.builder
        let snapshot = try await store.read { reader in
            try builder.withLockedValue { try $0.update(from: reader) }
        }
        edge.publish(snapshot)
        health.snapshotPublished(revision: snapshot.revision)
        logger.debug("snapshot published", metadata: ["revision": "\(snapshot.revision)", "routes": "\(snapshot.routeCount)"])
    }

    func run() async throws {
        for await revision in store.revisions().cancelOnGracefulShutdown() {
            // Revisions that arrive while a build runs are covered by it: it reads the latest state.
            guard revision > health.revision else { continue }
            do {
                try await publishCurrent()
            } catch {
                logger.error("snapshot rebuild failed; the edge keeps the previous one", metadata: ["error": "\(error)"])
            }
        }
    }
}
