import GatehouseModel

/// Where a request goes: the edge's routing decision over one snapshot.
enum RoutingDecision {
    case route(CompiledRoute, parameters: [Substring], relativePath: Substring)
    /// `route`: the path's most specific route, for its CORS preflights.
    case methodNotAllowed(allowed: [String], route: CompiledRoute?)
    case notFound(String)
}

extension Snapshot {
    /// Host routes first: a host claimed by an org serves only that org's host routes. Any other
    /// host serves the org-prefix routes, `/{org}{path}`.
    func route(host: Substring?, target: RequestTarget, method: String) -> RoutingDecision {
        if let host, let table = hostTable(for: HostPattern.normalize(authority: host)) {
            return decide(table.match(target.segments, method: method), target: target, consumed: 0)
        }
        guard let org = target.segments.first, let table = prefixTables[String(org)] else {
            return .notFound("no route matches this request")
        }
        return decide(table.match(Array(target.segments.dropFirst()), method: method), target: target, consumed: 1)
    }

    private func decide(_ match: RouteTable.Match, target: RequestTarget, consumed: Int) -> RoutingDecision {
        switch match {
        case .found(let route, let parameters):
            return .route(route, parameters: parameters, relativePath: target.rawSuffix(from: consumed))
        case .methodNotAllowed(let allowed, let route):
            return .methodNotAllowed(allowed: allowed, route: route)
        case .notFound:
            return .notFound("no route matches this request")
        }
    }
}
