import GatehouseIdentity
import GatehouseModel
import GatehousePolicy

/// A route's quotas for one caller, counted after its rate limits passed (a request the rate
/// limiter refuses uses no quota). Each quota that fits counts the request; the first that does
/// not refuses it with 429 `quota-exceeded` and `Retry-After` until its period ends.
enum QuotaCheck {
    static func check(_ quotas: [CompiledQuota], route: CompiledRoute, caller: Principal?, counter: QuotaCounter, now: Int64)
        -> EdgeRefusal?
    {
        for quota in quotas {
            let window = quota.window(at: now)
            let key = QuotaKey(quota: quota.id, value: value(quota, route: route, caller: caller), periodStart: window.start)
            let decision = counter.consume(key, limit: quota.requests, periodEnd: window.end, now: now)
            guard decision.allowed else {
                return EdgeRefusal(
                    problem: .quotaExceeded(
                        "the \(quota.period == .day ? "daily" : "monthly") quota '\(quota.name)' (\(quota.requests) requests) is used up; it starts over in \(decision.resetSeconds) s"
                    ),
                    headers: [("retry-after", String(decision.resetSeconds))])
            }
        }
        return nil
    }

    /// What the quota counts by: the org, or the caller (anonymous callers share one count).
    static func value(_ quota: CompiledQuota, route: CompiledRoute, caller: Principal?) -> String {
        switch quota.key {
        case .org: route.org
        case .principal: caller.map { "\($0.kind.rawValue)/\($0.subject)" } ?? "anonymous"
        }
    }
}
