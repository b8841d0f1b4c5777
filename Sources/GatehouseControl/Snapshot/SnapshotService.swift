import Foundation
import GatehouseEdge
import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
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
    /// Every issuer's keys the edge may verify with; refreshed here, off the request path.
    private let keys: KeySetCacheRegistry
    private let builder: NIOLockedValueBox<SnapshotBuilder>
    /// Told which functions each new snapshot holds, so runtimes let go of the others' workers
    /// and modules.
    private let retainFunctions: (@Sendable (Set<String>) async -> Void)?
    /// How often stale key sets are looked for (each set's own lifetime decides when it is).
    static let keyRefreshInterval: Duration = .seconds(30)

    init(
        store: any Store, edge: EdgeServer, health: HealthState, keys: KeySetCacheRegistry, sessions: SessionDirectory?,
        opaqueTokens: (any OpaqueTokenChecking)? = nil, roles: RoleCatalog = RoleFiles.builtin(), codeRoot: URL? = nil,
        retainFunctions: (@Sendable (Set<String>) async -> Void)? = nil, logger: Logger
    ) {
        self.retainFunctions = retainFunctions
        self.store = store
        self.edge = edge
        self.health = health
        self.keys = keys
        self.logger = logger
        self.builder = NIOLockedValueBox(SnapshotBuilder(
                registry: keys, sessions: sessions, opaqueTokens: opaqueTokens, roles: roles, codeRoot: codeRoot))
    }

    /// Gatehouse's issuer has started: recompile every org to trust its tokens.
    func install(issuer: TokenIssuer) async throws {
        builder.withLockedValue { $0.install(issuer: issuer) }
        try await publishCurrent()
    }

    /// Builds and publishes the snapshot of the store as it is now, recompiling only what
    /// changed since the last one.
    func publishCurrent() async throws {
        let builder = self.builder
        let edge = self.edge
        // Published under the builder's lock so that snapshots reach the edge in revision order.
        // A read that began before a newer build finished is stale: read again, since what made
        // this build necessary (the issuer's start) may postdate that newer build.
        var built: Snapshot?
        while built == nil {
            built = try await store.read { reader in
                try builder.withLockedValue { builder in
                    let snapshot = try builder.update(from: reader)
                    snapshot.map(edge.publish)
                    return snapshot
                }
            }
        }
        guard let snapshot = built else { return }
        health.snapshotPublished(revision: snapshot.revision)
        for skipped in builder.withLockedValue({ $0.lastSkippedProviders }) {
            logger.warning("identity provider not trusted at the edge", metadata: ["reason": "\(skipped)"])
        }
        for skipped in builder.withLockedValue({ $0.lastSkippedPolicies }) {
            logger.warning("policy not enforced at the edge", metadata: ["reason": "\(skipped)"])
        }
        // Newly trusted issuers get their keys now rather than on the first token's refresh.
        let keys = self.keys
        Task { await keys.refreshStale() }
        if let retainFunctions {
            let live = snapshot.functionKeys
            Task { await retainFunctions(live) }
        }
        logger.debug("snapshot published", metadata: ["revision": "\(snapshot.revision)", "routes": "\(snapshot.routeCount)"])
    }

    func run() async throws {
        let keys = self.keys
        let refresher = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.keyRefreshInterval)
                await keys.refreshStale()
            }
        }
        defer { refresher.cancel() }
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
