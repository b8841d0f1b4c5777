import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import GatehouseStore
import NIOConcurrencyHelpers
import Testing

@testable import GatehouseControl
@testable import GatehouseEdge

@Suite struct SnapshotBuilderTests {
    /// Serves no keys: these tests look at which caches exist, not at what they hold.
    private struct NoKeys: KeySetFetching {
        func fetchKeySet(for issuer: TrustedIssuer) async throws(KeySetFetchError) -> FetchedKeySet {
            throw .unknownIssuer(issuer: issuer.issuer)
        }
    }

    private static func makeBuilder(registry: KeySetCacheRegistry = KeySetCacheRegistry(fetcher: NoKeys())) -> SnapshotBuilder {
        SnapshotBuilder(registry: registry)
    }

    @Test func identityProvidersRecompileTheirOrgAndKeepKeyCachesAcrossBuilds() async throws {
        try await withStore { store in
            let provider = IdentityProvider(
                name: "corp", oidc: IdentityProvider.OIDC(issuer: "https://idp.example", clientId: "gatehouse"))
            try await store.write { writer in
                for org in ["a", "b"] {
                    _ = try writer.save(Org(name: org), org: "", sealed: nil)
                    _ = try writer.save(Function(name: "f", http: "http://127.0.0.1:9000/"), org: org, sealed: nil)
                    _ = try writer.save(Route(name: "r", function: "f", paths: ["/one"]), org: org, sealed: nil)
                }
                _ = try writer.save(provider, org: "a", sealed: nil)
            }
            let registry = KeySetCacheRegistry(fetcher: NoKeys())
            let builder = NIOLockedValueBox(Self.makeBuilder(registry: registry))
            let first = try await update(builder, from: store)
            #expect(registry.count == 1)
            let cacheBefore = try #require(first.identity(of: "a")?.keySetCaches.first)
            #expect(first.identity(of: "b")?.keySetCaches.isEmpty == true)

            // Org b trusts the same issuer: only b is recompiled, and both share a's key cache.
            try await store.write { writer in _ = try writer.save(provider, org: "b", sealed: nil) }
            let second = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastRecompiledOrgs } == 1)
            #expect(registry.count == 1)
            #expect(second.identity(of: "b")?.keySetCaches.first === cacheBefore)
            #expect(second.identity(of: "a")?.keySetCaches.first === cacheBefore)

            // Nobody trusts it any more: the cache is forgotten.
            try await store.write { writer in
                for org in ["a", "b"] { _ = try writer.delete(ResourceKey(kind: IdentityProvider.kind, org: org, name: "corp")) }
            }
            _ = try await update(builder, from: store)
            #expect(registry.count == 0)
        }
    }

    private func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("gatehouse-snapshot-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("gatehouse.sqlite").path)
        defer { try? store.close() }
        try await body(store)
    }

    private func update(_ builder: NIOLockedValueBox<SnapshotBuilder>, from store: SQLiteStore) async throws -> Snapshot {
        try #require(try await store.read { reader in try builder.withLockedValue { try $0.update(from: reader) } })
    }

    /// CI once saw a route answer 404 for good: the issuer's rebuild read the store just before
    /// the route's write, took the lock after the write's rebuild, and published the older state.
    @Test func aReadOlderThanTheLastBuildIsNotBuilt() async throws {
        try await withStore { store in
            try await store.write { writer in
                _ = try writer.save(Org(name: "a"), org: "", sealed: nil)
                _ = try writer.save(Function(name: "f", http: "http://127.0.0.1:9000/"), org: "a", sealed: nil)
            }
            let builder = NIOLockedValueBox(Self.makeBuilder())
            let started = DispatchSemaphore(value: 0)
            let proceed = DispatchSemaphore(value: 0)
            let late = Task {
                try await store.read { reader in
                    _ = try reader.revision()  // the read's view of the store is fixed from here
                    started.signal()
                    proceed.wait()
                    return try builder.withLockedValue { try $0.update(from: reader) }
                }
            }
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    started.wait()
                    continuation.resume()
                }
            }
            try await put(store, org: "a", route: "r", path: "/one")
            let current = try await update(builder, from: store)
            #expect(try routed(current, "/a/one") == "a/r")
            proceed.signal()
            #expect(try await late.value == nil)
            #expect(builder.withLockedValue { $0.lastRevision } == current.revision)
        }
    }

    private func routed(_ snapshot: Snapshot, _ uri: String) throws -> String? {
        if case .route(let route, _, _) = snapshot.route(host: nil, target: try RequestTarget(uri: uri), method: "GET") {
            return "\(route.org)/\(route.name)"
        }
        return nil
    }

    private func put(_ store: SQLiteStore, org: String, route: String, path: String) async throws {
        try await store.write { writer in
            _ = try writer.save(Route(name: route, function: "f", paths: [path]), org: org, sealed: nil)
        }
    }

    @Test func recompilesOnlyTheOrgsAWriteTouched() async throws {
        try await withStore { store in
            try await store.write { writer in
                for org in ["a", "b", "c"] {
                    _ = try writer.save(Org(name: org), org: "", sealed: nil)
                    _ = try writer.save(Function(name: "f", http: "http://127.0.0.1:9000/"), org: org, sealed: nil)
                    _ = try writer.save(Route(name: "r", function: "f", paths: ["/one"]), org: org, sealed: nil)
                }
            }
            let builder = NIOLockedValueBox(Self.makeBuilder())
            var snapshot = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastRecompiledOrgs } == 3)
            #expect(snapshot.routeCount == 3)
            #expect(try routed(snapshot, "/b/one") == "b/r")

            // A change in one org: only that org is recompiled, the others keep their tables.
            try await put(store, org: "b", route: "r", path: "/two")
            snapshot = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastRecompiledOrgs } == 1)
            #expect(try routed(snapshot, "/b/one") == nil)
            #expect(try routed(snapshot, "/b/two") == "b/r")
            #expect(try routed(snapshot, "/a/one") == "a/r" && routed(snapshot, "/c/one") == "c/r")

            // Nothing changed: nothing recompiled, same routing.
            snapshot = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastRecompiledOrgs } == 0)
            #expect(try routed(snapshot, "/b/two") == "b/r")

            // Deletions are seen without a tombstone: the document is simply gone from the index.
            try await store.write { writer in
                _ = try writer.delete(ResourceKey(kind: .route, org: "c", name: "r"))
            }
            snapshot = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastRecompiledOrgs } == 1)
            #expect(try routed(snapshot, "/c/one") == nil)
            #expect(snapshot.routeCount == 2)

            // A function repointed elsewhere recompiles its org's routes against it.
            try await store.write { writer in
                _ = try writer.save(Function(name: "f", http: "http://127.0.0.1:9999/v2"), org: "a", sealed: nil)
            }
            snapshot = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastRecompiledOrgs } == 1)
            if case .route(let route, _, _) = snapshot.route(host: nil, target: try RequestTarget(uri: "/a/one"), method: "GET") {
                #expect(route.upstream?.url.port == 9999)
            } else {
                Issue.record("route a/r lost after its function changed")
            }

            // The incremental result equals a from-scratch build.
            let scratch = try await update(NIOLockedValueBox(Self.makeBuilder()), from: store)
            #expect(scratch.routeCount == snapshot.routeCount && scratch.revision == snapshot.revision)
        }
    }

    /// The compiled route serving `uri` (GET), for a look at its edge rules.
    private func compiledRoute(_ snapshot: Snapshot, _ uri: String) throws -> CompiledRoute? {
        if case .route(let route, _, _) = snapshot.route(host: nil, target: try RequestTarget(uri: uri), method: "GET") {
            return route
        }
        return nil
    }

    @Test func policiesCompileIntoTheEdgeRulesOfEachRoute() async throws {
        try await withStore { store in
            let limits = Policy(
                name: "limits",
                rateLimits: [.init(name: "per-org", requests: 100, periodSeconds: 1, key: .org)],
                ipRules: [.init(deny: ["10.0.0.0/8"], routes: ["one"])],
                cors: [.init(origins: ["https://app.example"], routes: ["two"])])
            try await store.write { writer in
                for org in ["a", "b"] {
                    _ = try writer.save(Org(name: org), org: "", sealed: nil)
                    _ = try writer.save(Function(name: "f", http: "http://127.0.0.1:9000/"), org: org, sealed: nil)
                    _ = try writer.save(Route(name: "one", function: "f", paths: ["/one", "/uno"]), org: org, sealed: nil)
                    _ = try writer.save(Route(name: "two", function: "f", paths: ["/two"]), org: org, sealed: nil)
                }
                _ = try writer.save(limits, org: "a", sealed: nil)
            }
            let builder = NIOLockedValueBox(Self.makeBuilder())
            var snapshot = try await update(builder, from: store)
            let one = try #require(try compiledRoute(snapshot, "/a/one"))
            #expect(one.edgeRules.ipFilters.count == 1 && one.edgeRules.rateLimits.map(\.id) == ["a/limits/per-org"])
            #expect(one.edgeRules.cors == nil && one.edgeRulesSummary.needsClientAddress)
            // Both paths of a route share the rules compiled for it.
            #expect(try compiledRoute(snapshot, "/a/uno")?.edgeRules.ipFilters.count == 1)
            let two = try #require(try compiledRoute(snapshot, "/a/two"))
            #expect(two.edgeRules.ipFilters.isEmpty && two.edgeRules.cors != nil && two.edgeRules.rateLimits.count == 1)
            #expect(!two.edgeRulesSummary.needsClientAddress)
            // Another org's policies are not this org's.
            #expect(try compiledRoute(snapshot, "/b/one")?.edgeRulesSummary.isEmpty == true)

            // A changed policy recompiles its org alone.
            var changed = limits
            changed.ipRules = nil
            changed.requestLimits = [.init(maxBodyBytes: 10), .init(maxBodyBytes: 5, routes: ["one"])]
            try await store.write { [changed] writer in _ = try writer.save(changed, org: "a", sealed: nil) }
            snapshot = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastRecompiledOrgs } == 1)
            #expect(try compiledRoute(snapshot, "/a/one")?.edgeRules.ipFilters.isEmpty == true)
            #expect(try compiledRoute(snapshot, "/a/one")?.edgeRulesSummary.maxBodyBytes == 5)
            #expect(try compiledRoute(snapshot, "/a/two")?.edgeRulesSummary.maxBodyBytes == 10)

            // A stored policy that does not compile (the admin API would have refused it) is left
            // out and reported; the org's other policies still apply.
            let broken = Policy(name: "broken", bindings: [.init(role: "no-such-role", subjects: ["user:x"])])
            try await store.write { writer in _ = try writer.save(broken, org: "a", sealed: nil) }
            snapshot = try await update(builder, from: store)
            #expect(builder.withLockedValue { $0.lastSkippedPolicies.count } == 1)
            #expect(try compiledRoute(snapshot, "/a/two")?.edgeRules.rateLimits.count == 1)

            // Deleted policies take their rules with them.
            try await store.write { writer in
                for name in ["limits", "broken"] { _ = try writer.delete(ResourceKey(kind: .policy, org: "a", name: name)) }
            }
            snapshot = try await update(builder, from: store)
            #expect(try compiledRoute(snapshot, "/a/one")?.edgeRulesSummary.isEmpty == true)
            #expect(builder.withLockedValue { $0.lastSkippedPolicies.isEmpty })
        }
    }
}
