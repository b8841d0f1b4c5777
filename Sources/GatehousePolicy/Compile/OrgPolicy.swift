import GatehouseModel

/// All of an org's policies together: one authorizer over the built-in roles, the org's own and
/// every binding, and per route the edge rules that apply to it.
public struct OrgPolicy: Sendable {
    public let org: String
    public let authorizer: Authorizer
    public let policies: [CompiledPolicy]

    public init(org: String, policies: [CompiledPolicy], catalog: RoleCatalog) {
        self.org = org
        // Name order, so "the rule that decided" does not depend on storage order.
        let sorted = policies.sorted { $0.name < $1.name }
        self.policies = sorted
        authorizer = Authorizer(
            roles: catalog.orgRoles.values.map(\.role) + sorted.flatMap(\.roles), bindings: sorted.flatMap(\.bindings))
    }

    /// The edge rules for `route`, compiled once per snapshot.
    public func edgeRules(forRoute route: String) -> RouteEdgeRules {
        func applicable<Rule>(_ rules: KeyPath<CompiledPolicy, [CompiledPolicy.Scoped<Rule>]>) -> [CompiledPolicy.Scoped<Rule>] {
            policies.flatMap { $0[keyPath: rules] }.filter { $0.applies(to: route) }
        }
        let cors = applicable(\.cors)
        // One CORS answer per route: a rule naming the route wins over an org-wide one.
        let corsRule = (cors.first { $0.routes != nil } ?? cors.first)?.rule
        return RouteEdgeRules(
            ipFilters: applicable(\.ipFilters).map(\.rule), cors: corsRule,
            requestLimits: applicable(\.requestLimits).map(\.rule), rateLimits: applicable(\.rateLimits).map(\.rule),
            quotas: applicable(\.quotas).map(\.rule))
    }
}

/// What the edge enforces on one route, in the order it does: client address, CORS preflight,
/// request limits, then (once the caller is known) rate limits and quotas. Every rule must pass.
public struct RouteEdgeRules: Sendable {
    public let ipFilters: [IPFilter]
    public let cors: CORSPolicy?
    public let requestLimits: [RequestLimits]
    public let rateLimits: [CompiledRateLimit]
    public let quotas: [CompiledQuota]

    public init(
        ipFilters: [IPFilter] = [], cors: CORSPolicy? = nil, requestLimits: [RequestLimits] = [],
        rateLimits: [CompiledRateLimit] = [], quotas: [CompiledQuota] = []
    ) {
        self.ipFilters = ipFilters
        self.cors = cors
        self.requestLimits = requestLimits
        self.rateLimits = rateLimits
        self.quotas = quotas
    }

    public static let none = RouteEdgeRules()

    public var isEmpty: Bool {
        ipFilters.isEmpty && cors == nil && requestLimits.isEmpty && rateLimits.isEmpty && quotas.isEmpty
    }
}
