import GatehouseIdentity
import GatehouseModel
import GatehousePolicy

/// A route's rate limits for one caller, once authentication said who it is. Every rule counts
/// the request; the first that refuses decides, and an allowed request reports the rule closest
/// to refusing (the smallest `remaining`), which is the one a client must pace itself by.
enum RateLimitCheck {
    enum Outcome {
        /// `headers`: the `RateLimit-*` fields of the tightest rule, for the function's response.
        case allowed(headers: [(String, String)])
        case refused(EdgeRefusal)
    }

    static func check(
        _ rules: [CompiledRateLimit], route: CompiledRoute, caller: Principal?, clientAddress: IPAddress?,
        limiter: RateLimiter, now: UInt64
    ) -> Outcome {
        var tightest: (rule: CompiledRateLimit, decision: RateDecision)?
        for rule in rules {
            guard let key = key(rule, route: route, caller: caller, clientAddress: clientAddress) else { continue }
            let decision = limiter.check(key, limit: rule.limit, now: now)
            guard decision.allowed else { return .refused(RateLimitHeaders.refusal(rule, decision)) }
            if tightest.map({ decision.remaining < $0.decision.remaining }) ?? true { tightest = (rule, decision) }
        }
        return .allowed(headers: tightest.map { RateLimitHeaders.fields($0.rule.limit, $0.decision) } ?? [])
    }

    /// What the rule counts by; nil when it does not apply to this caller (an `api-key` rule and
    /// a caller without an API key). The rule's id comes first, so rules never share buckets.
    static func key(_ rule: CompiledRateLimit, route: CompiledRoute, caller: Principal?, clientAddress: IPAddress?)
        -> RateLimitKey?
    {
        // An unreadable address (not IP) is one client: such peers are local and few.
        let client = clientAddress?.description ?? "-"
        switch rule.key {
        case .principal:
            guard let caller else { return RateLimitKey(rule.id, "client-ip", client) }
            return RateLimitKey(rule.id, "principal", caller.kind.rawValue, caller.subject)
        case .apiKey:
            guard let caller, caller.kind == .apiKey else { return nil }
            return RateLimitKey(rule.id, "api-key", caller.subject)
        case .clientIP:
            return RateLimitKey(rule.id, "client-ip", client)
        case .org:
            // The id names the org: one bucket for every route the rule covers.
            return RateLimitKey(rule.id)
        case .route:
            return RateLimitKey(rule.id, "route", route.name)
        }
    }
}
