/// A rate limit: `requests` per `periodSeconds`, with up to `burst` requests at once.
///
/// Enforced by the generic cell rate algorithm (GCRA, a token bucket kept as one timestamp):
/// over any stretch of time `t` at most `burst + t × rate` requests pass — no window edges, so
/// no 2× at a boundary as with fixed windows.
public struct RateLimit: Sendable, Hashable {
    public let requests: Int
    public let periodSeconds: Double
    /// How many requests may come at once after a quiet spell (the bucket's size); at least 1.
    public let burst: Int

    public init(requests: Int, periodSeconds: Double, burst: Int? = nil) {
        precondition(requests > 0 && periodSeconds > 0, "a rate limit needs a positive rate")
        self.requests = requests
        self.periodSeconds = periodSeconds
        self.burst = max(1, burst ?? 1)
    }

    /// Nanoseconds between two requests at the steady rate (GCRA's emission interval).
    var interval: UInt64 { UInt64((periodSeconds * 1e9 / Double(requests)).rounded()) }
    /// How far ahead of now the bucket's timestamp may run before requests are refused.
    var tolerance: UInt64 { interval * UInt64(burst - 1) }
}

/// What the limiter said about one request, with what the `RateLimit-*` headers
/// (draft-ietf-httpapi-ratelimit-headers) and `Retry-After` need.
public struct RateDecision: Sendable, Equatable {
    public let allowed: Bool
    /// Requests that would pass right now after this one.
    public let remaining: Int
    /// Seconds until the bucket is full again (rounded up).
    public let resetSeconds: Int
    /// For a refused request: seconds until one would pass (rounded up, at least 1).
    public let retryAfterSeconds: Int
}
