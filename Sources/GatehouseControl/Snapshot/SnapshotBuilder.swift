import Foundation
import GatehouseEdge
import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import GatehouseStore

/// Builds the edge's snapshots incrementally: it remembers the functions and routes it decoded
/// and each org's compiled routes, and on every new store revision reads only the revisions of
/// all documents, decodes the few that changed and recompiles only the orgs they belong to.
///
/// With 10,000 routes a full rebuild (decode every document, compile every route) on each admin
/// write took a whole core while routes were updated every 100 ms, halving the edge's
/// throughput; now a write costs one index scan plus the work for its own org.
struct SnapshotBuilder {
    private var functions: [ResourceKey: (revision: Int64, value: Function)] = [:]
    private var routes: [ResourceKey: (revision: Int64, value: Route)] = [:]
    private var providers: [ResourceKey: (revision: Int64, value: IdentityProvider)] = [:]
    private var apiKeys: [ResourceKey: (revision: Int64, value: OrgAPIKey)] = [:]
    private var serviceAccounts: [ResourceKey: (revision: Int64, value: ServiceAccount)] = [:]
    private var policies: [ResourceKey: (revision: Int64, value: Policy)] = [:]
    private var compiled: [String: Snapshot.CompiledOrg] = [:]
    /// Key caches outlive snapshots; Gatehouse's issuer joins once the control listener runs.
    private let registry: KeySetCacheRegistry
    private var issuer: TokenIssuer?
    /// Set when something every org depends on changed (the issuer), so all are recompiled.
    private var recompileAll = false

    private let sessions: SessionDirectory?
    private let opaqueTokens: (any OpaqueTokenChecking)?
    /// The built-in roles (or `--policies-dir`'s) the org policies compile against.
    private let roles: RoleCatalog
    /// Where uploaded code is unpacked (`<data dir>/code`), for the functions that run it.
    private let codeRoot: URL?

    init(
        registry: KeySetCacheRegistry, sessions: SessionDirectory? = nil, opaqueTokens: (any OpaqueTokenChecking)? = nil,
        roles: RoleCatalog = RoleFiles.builtin(), codeRoot: URL? = nil
    ) {
        self.codeRoot = codeRoot
        self.registry = registry
        self.sessions = sessions
        self.opaqueTokens = opaqueTokens
        self.roles = roles
    }

    /// Gatehouse's own issuer: its tokens become acceptable in every org, and it signs the
    /// identity tokens sent to functions.
    mutating func install(issuer: TokenIssuer) {
        self.issuer = issuer
        recompileAll = true
    }

    /// How many orgs the last update recompiled (for tests and debug logs).
    private(set) var lastRecompiledOrgs = 0
    /// The store revision the last snapshot was built from.
    private(set) var lastRevision: Int64 = -1

    /// The snapshot of what `reader` sees, or nil when it sees an older revision than the last
    /// build did: two builds may race (a revision and the issuer's start), and the one whose
    /// read began first can take the lock last. Building from it would hand the edge a
    /// snapshot without the newest writes and nothing would ever correct it.
    mutating func update(from reader: any StoreReader) throws -> Snapshot? {
        let revision = try reader.revision()
        guard revision >= lastRevision else { return nil }
        lastRevision = revision
        var touched: Set<String> = []
        try Self.sync(&functions, with: reader, touched: &touched)
        try Self.sync(&routes, with: reader, touched: &touched)
        try Self.sync(&providers, with: reader, touched: &touched)
        try Self.sync(&apiKeys, with: reader, touched: &touched)
        try Self.sync(&serviceAccounts, with: reader, touched: &touched)
        try Self.sync(&policies, with: reader, touched: &touched)
        if recompileAll {
            touched.formUnion(compiled.keys)
            recompileAll = false
        }
        // One pass over what is known collects the touched orgs' resources: filtering per org
        // made the first build (every org touched) cost orgs × documents.
        var orgFunctions: [String: [Function]] = [:]
        var orgRoutes: [String: [Route]] = [:]
        var orgProviders: [String: [IdentityProvider]] = [:]
        var orgKeys: [String: [OrgAPIKey]] = [:]
        var orgAccounts: [String: [ServiceAccount]] = [:]
        var orgPolicies: [String: [Policy]] = [:]
        for (key, entry) in functions where touched.contains(key.org) { orgFunctions[key.org, default: []].append(entry.value) }
        for (key, entry) in routes where touched.contains(key.org) { orgRoutes[key.org, default: []].append(entry.value) }
        for (key, entry) in providers where touched.contains(key.org) { orgProviders[key.org, default: []].append(entry.value) }
        for (key, entry) in apiKeys where touched.contains(key.org) { orgKeys[key.org, default: []].append(entry.value) }
        for (key, entry) in serviceAccounts where touched.contains(key.org) {
            orgAccounts[key.org, default: []].append(entry.value)
        }
        for (key, entry) in policies where touched.contains(key.org) { orgPolicies[key.org, default: []].append(entry.value) }
        let environment = EdgeIdentityEnvironment(
            registry: registry, issuer: issuer, sessions: sessions, opaqueTokens: opaqueTokens)
        var skipped: [String] = []
        var skippedPolicies: [String] = []
        for org in touched {
            let (functions, routes) = (orgFunctions[org] ?? [], orgRoutes[org] ?? [])
            guard !functions.isEmpty || !routes.isEmpty else {
                compiled[org] = nil
                continue
            }
            let identity = OrgIdentity(
                org: org, providers: orgProviders[org] ?? [], apiKeys: orgKeys[org] ?? [],
                serviceAccounts: orgAccounts[org] ?? [],
                routeAudiences: Set(routes.flatMap { $0.auth?.audiences ?? [] }), environment: environment,
                skipped: &skipped)
            let policy = OrgPolicy(org: org, documents: orgPolicies[org] ?? [], catalog: roles, skipped: &skippedPolicies)
            compiled[org] = Snapshot.CompiledOrg(
                org: org, functions: functions, routes: routes, identity: identity, policy: policy, codeRoot: codeRoot)
        }
        lastRecompiledOrgs = touched.count
        lastSkippedProviders = skipped
        lastSkippedPolicies = skippedPolicies
        registry.retain(only: compiled.values.flatMap(\.identity.keySetCaches))
        return Snapshot(revision: revision, orgs: compiled)
    }

    /// Providers the last update could not trust, and why (logged by the snapshot service).
    private(set) var lastSkippedProviders: [String] = []
    /// Policies the last update could not compile, and why (logged by the snapshot service).
    private(set) var lastSkippedPolicies: [String] = []

    /// Brings `known` to the store's state for one kind; the orgs of documents that were
    /// added, changed or removed go into `touched`.
    private static func sync<R: OrgScopedResource>(
        _ known: inout [ResourceKey: (revision: Int64, value: R)], with reader: any StoreReader, touched: inout Set<String>
    ) throws {
        let versions = try reader.versions(kind: R.kind)
        for key in known.keys where versions[key] == nil {
            known[key] = nil
            touched.insert(key.org)
        }
        for (key, revision) in versions where known[key]?.revision != revision {
            guard let document = try reader.document(key) else { continue }
            var resource = try ResourceCoding.decode(document, as: R.self)
            resource.org = key.org
            known[key] = (revision, resource)
            touched.insert(key.org)
        }
    }
}
