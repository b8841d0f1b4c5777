import GatehouseModel
import GatehousePolicy

/// What the request path asks of a route's edge rules on every request, computed once per
/// snapshot so that a route without rules pays one `isEmpty` check and nothing else.
struct EdgeRulesSummary: Sendable {
    let isEmpty: Bool
    /// The smallest `maxBodyBytes` of the route's request limits: the body is counted against
    /// one number as it streams, not against each rule.
    let maxBodyBytes: Int?
    /// Whether a rule reads the client's address (IP rules, per-client rate limits, per-principal
    /// rate limits of anonymous callers), so the address is resolved only when something needs it.
    let needsClientAddress: Bool

    init(_ rules: RouteEdgeRules) {
        isEmpty = rules.isEmpty
        maxBodyBytes = rules.requestLimits.compactMap(\.maxBodyBytes).min()
        needsClientAddress =
            !rules.ipFilters.isEmpty || rules.rateLimits.contains { $0.key == .clientIP || $0.key == .principal }
    }
}
