import GatehouseModel

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

    public static let empty = Snapshot(revision: 0, functions: [], routes: [])

    /// Compiles routes against their functions. A route whose function is missing or invalid is
    /// left out (the admin API refuses such writes; this only guards against stored data that
    /// predates a validation rule).
    public init(revision: Int64, functions: [Function], routes: [Route]) {
        self.revision = revision
        var functionsByKey: [String: (Function, UpstreamURL)] = [:]
        for function in functions {
            guard let org = function.org, let http = function.http,
                let upstream = try? UpstreamURL(parsing: http.url, field: "http.url")
            else { continue }
            functionsByKey[org + "/" + function.name] = (function, upstream)
        }
        var prefixEntries: [String: [(PathPattern, CompiledRoute)]] = [:]
        var exactEntries: [String: [(PathPattern, CompiledRoute)]] = [:]
        var wildcardEntries: [String: [(PathPattern, CompiledRoute)]] = [:]
        var count = 0
        for route in routes {
            guard let org = route.org, let (function, upstream) = functionsByKey[org + "/" + route.function] else {
                continue
            }
            for raw in route.paths {
                guard let pattern = try? PathPattern(parsing: raw, field: "") else { continue }
                let compiled = CompiledRoute(
                    route: route, org: org, function: function, upstream: upstream, pattern: pattern, rawPattern: raw)
                count += 1
                let hosts = route.hostList
                if hosts.isEmpty {
                    prefixEntries[org, default: []].append((pattern, compiled))
                }
                for host in hosts {
                    guard let hostPattern = try? HostPattern(parsing: host, field: "") else { continue }
                    switch hostPattern.kind {
                    case .exact(let name): exactEntries[name, default: []].append((pattern, compiled))
                    case .wildcard(let suffix): wildcardEntries[suffix, default: []].append((pattern, compiled))
                    }
                }
            }
        }
        self.prefixTables = prefixEntries.mapValues { RouteTable(entries: $0) }
        self.exactHosts = exactEntries.mapValues { RouteTable(entries: $0) }
        self.wildcardHosts = wildcardEntries.map { (suffix: $0.key, table: RouteTable(entries: $0.value)) }
            .sorted { $0.suffix.count > $1.suffix.count }
        self.routeCount = count
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
