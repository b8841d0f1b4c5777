import GatehousePolicy

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (draft-ietf-httpapi-ratelimit-headers,
/// the three-field form clients and SDKs read today) and, on refusals, `Retry-After`.
enum RateLimitHeaders {
    static func fields(_ limit: RateLimit, _ decision: RateDecision) -> [(String, String)] {
        [
            ("ratelimit-limit", String(limit.requests)),
            ("ratelimit-remaining", String(decision.remaining)),
            ("ratelimit-reset", String(decision.resetSeconds)),
        ]
    }

    static func refusal(_ rule: CompiledRateLimit, _ decision: RateDecision) -> EdgeRefusal {
        let period = rule.limit.periodSeconds.rounded() == rule.limit.periodSeconds
            ? String(Int(rule.limit.periodSeconds)) : String(rule.limit.periodSeconds)
        return EdgeRefusal(
            problem: .tooManyRequests(
                "the rate limit '\(rule.name)' (\(rule.limit.requests) requests per \(period) s) is used up; retry after \(decision.retryAfterSeconds) s"),
            headers: [("retry-after", String(decision.retryAfterSeconds))] + fields(rule.limit, decision))
    }
}
