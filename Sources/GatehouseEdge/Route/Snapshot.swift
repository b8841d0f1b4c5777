import Foundation
import GatehouseModel
import GatehousePolicy
import GatehouseRuntimes

/// Everything the edge needs to answer a request, compiled from the store at one revision.
/// Immutable: a configuration change builds a new snapshot off the request path and the edge
/// swaps it in whole (see `SnapshotDistributor`), so a request never sees half a change.
public final class Snapshot: Sendable {
    public let revision: Int64
    /// Routes without hosts, by org: published at `/{org}{path}`.
    let prefixTables: [String: RouteTable]
    /// Routes with exact hosts, by lowercased host name.
    let exactHosts: [String: RouteTable]
    /// Routes with wildcard hosts, longest suffix first so the most specific wins.
    let wildcardHosts: [(suffix: String, table: RouteTable)]
    public let routeCount: Int
    private let identities: [String: OrgIdentity]

    public static let empty = Snapshot(revision: 0, functions: [], routes: [])

    /// Compiles routes against their functions. A route whose function is missing or invalid is
    /// left out (the admin API refuses such writes; this only guards against stored data that
    /// predates a validation rule).
    public convenience init(revision: Int64, functions: [Function], routes: [Route]) {
        let functionsByOrg = Dictionary(grouping: functions.filter { $0.org != nil }, by: { $0.org! })
        let routesByOrg = Dictionary(grouping: routes.filter { $0.org != nil }, by: { $0.org! })
        var orgs: [String: CompiledOrg] = [:]
        for org in Set(functionsByOrg.keys).union(routesByOrg.keys) {
            orgs[org] = CompiledOrg(org: org, functions: functionsByOrg[org] ?? [], routes: routesByOrg[org] ?? [])
        }
        self.init(revision: revision, orgs: orgs)
    }

    /// Assembles a snapshot from orgs compiled separately, so a change recompiles only the orgs
    /// it touched (with 10,000 routes, recompiling everything on each write cost more CPU than
    /// the edge's traffic).
    public init(revision: Int64, orgs: [String: CompiledOrg]) {
        self.revision = revision
        var prefixTables: [String: RouteTable] = [:]
        var exactEntries: [String: [(PathPattern, CompiledRoute)]] = [:]
        var wildcardEntries: [String: [(PathPattern, CompiledRoute)]] = [:]
        var count = 0
        for (org, compiled) in orgs {
            if let table = compiled.prefixTable { prefixTables[org] = table }
            for (host, entries) in compiled.exactHostEntries { exactEntries[host, default: []].append(contentsOf: entries) }
            for (suffix, entries) in compiled.wildcardHostEntries {
                wildcardEntries[suffix, default: []].append(contentsOf: entries)
            }
            count += compiled.routeCount
        }
        self.prefixTables = prefixTables
        self.exactHosts = exactEntries.mapValues { RouteTable(entries: $0) }
        self.wildcardHosts = wildcardEntries.map { (suffix: $0.key, table: RouteTable(entries: $0.value)) }
            .sorted { $0.suffix.count > $1.suffix.count }
        self.routeCount = count
        self.identities = orgs.mapValues(\.identity)
        self.functionKeys = Set(orgs.values.flatMap { $0.functions.values.map(\.key) })
    }

    /// The `DeployedFunction.key` of every function in the snapshot: what runtimes keep
    /// workers and modules for (see `FunctionInvoker.retain(only:)`).
    public let functionKeys: Set<String>

    /// The compiled identity of an org that has routes or functions.
    public func identity(of org: String) -> OrgIdentity? { identities[org] }

    /// One org's routes compiled: its prefix table, and its host routes waiting to be merged
    /// with other orgs' (a host belongs to one org, but wildcard suffixes may interleave).
    public struct CompiledOrg: Sendable {
        let prefixTable: RouteTable?
        let exactHostEntries: [String: [(PathPattern, CompiledRoute)]]
        let wildcardHostEntries: [String: [(PathPattern, CompiledRoute)]]
        public let routeCount: Int

        /// The org's identity; its routes check callers against it.
        public let identity: OrgIdentity
        /// The org's policies; each route carries the edge rules that apply to it.
        public let policy: OrgPolicy?

        /// The org's functions as the invocation pipeline runs them, by name.
        public let functions: [String: DeployedFunction]

        /// - Parameter codeRoot: where uploaded code is unpacked (`<data dir>/code`).
        public init(
            org: String, functions: [Function], routes: [Route], identity: OrgIdentity? = nil, policy: OrgPolicy? = nil,
            codeRoot: URL? = nil
        ) {
            let identity = identity ?? .empty(org: org)
            self.identity = identity
            self.policy = policy
            var deployed: [String: DeployedFunction] = [:]
            for function in functions {
                deployed[function.name] = DeployedFunction(org: org, function: function, codeRoot: codeRoot)
            }
            self.functions = deployed
            var prefixEntries: [(PathPattern, CompiledRoute)] = []
            var exact: [String: [(PathPattern, CompiledRoute)]] = [:]
            var wildcard: [String: [(PathPattern, CompiledRoute)]] = [:]
            var count = 0
            for route in routes {
                guard let function = deployed[route.function] else { continue }
                // Once per route, shared by its paths: the request path never looks rules up by name.
                let edgeRules = policy?.edgeRules(forRoute: route.name) ?? .none
                // An org without policies grants no one `functions:invoke`.
                let invokeAuthorizer =
                    route.auth?.requireInvokePermission == true
                    ? policy?.authorizer ?? Authorizer(roles: [], bindings: []) : nil
                for raw in route.paths {
                    guard let pattern = try? PathPattern(parsing: raw, field: "") else { continue }
                    let compiled = CompiledRoute(
                        route: route, org: org, function: function, pattern: pattern, rawPattern: raw,
                        identity: identity, edgeRules: edgeRules, invokeAuthorizer: invokeAuthorizer)
                    count += 1
                    let hosts = route.hostList
                    if hosts.isEmpty {
                        prefixEntries.append((pattern, compiled))
                    }
                    for host in hosts {
                        guard let hostPattern = try? HostPattern(parsing: host, field: "") else { continue }
                        switch hostPattern.kind {
                        case .exact(let name): exact[name, default: []].append((pattern, compiled))
                        case .wildcard(let suffix): wildcard[suffix, default: []].append((pattern, compiled))
                        }
                    }
                }
            }
            prefixTable = prefixEntries.isEmpty ? nil : RouteTable(entries: prefixEntries)
            exactHostEntries = exact
            wildcardHostEntries = wildcard
            routeCount = count
        }
    }

    /// The table serving `host` (normalized, lowercased) if some org claimed it.
    func hostTable(for host: Substring) -> RouteTable? {
        guard !exactHosts.isEmpty || !wildcardHosts.isEmpty else { return nil }
        let lowered = host.lowercased()
        if let table = exactHosts[lowered] { return table }
        for entry in wildcardHosts where lowered.hasSuffix(entry.suffix) && lowered.count > entry.suffix.count {
            return entry.table
        }
        return nil
    }
}
