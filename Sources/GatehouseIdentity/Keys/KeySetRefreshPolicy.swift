import Foundation

/// How often an issuer's key set may be fetched, and how long a fetched one is trusted.
public struct KeySetRefreshPolicy: Sendable, Equatable {
    /// At most one fetch per issuer in this many seconds, whatever triggers it: a flood of
    /// tokens with made-up `kid`s must not turn into a flood of requests to the issuer.
    public var minimumInterval: TimeInterval
    /// How long a key set is kept when the response has no usable `Cache-Control`.
    public var defaultLifetime: TimeInterval
    /// `max-age` is honoured within these bounds: an issuer cannot make Gatehouse fetch on
    /// every request, nor keep a rotated-out key for weeks.
    public var lifetimeBounds: ClosedRange<TimeInterval>

    public init(
        minimumInterval: TimeInterval = 30, defaultLifetime: TimeInterval = 3600,
        lifetimeBounds: ClosedRange<TimeInterval> = 300...86_400
    ) {
        self.minimumInterval = minimumInterval
        self.defaultLifetime = defaultLifetime
        self.lifetimeBounds = lifetimeBounds
    }

    /// The lifetime of a set fetched with this `max-age` (nil: none given).
    func lifetime(maxAge: TimeInterval?) -> TimeInterval {
        let requested = maxAge ?? defaultLifetime
        return min(max(requested, lifetimeBounds.lowerBound), lifetimeBounds.upperBound)
    }
}
