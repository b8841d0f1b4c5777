import Crypto
import Foundation
import GatehouseModel

/// A quota as the edge counts it: at most `requests` per calendar `period` (UTC), per `key`.
/// `id` (`org/policy/rule`) keeps each rule's counts apart.
public struct CompiledQuota: Sendable, Equatable {
    public let id: String
    public let name: String
    public let requests: Int64
    public let period: Policy.QuotaRule.Period
    public let key: Policy.QuotaRule.Key

    /// The period `now` falls in: its start and end, in seconds since 1970 (UTC calendar).
    public func window(at now: Date) -> (start: Int64, end: Int64) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let unit: Calendar.Component = period == .day ? .day : .month
        let interval = calendar.dateInterval(of: unit, for: now)!
        return (Int64(interval.start.timeIntervalSince1970), Int64(interval.end.timeIntervalSince1970))
    }
}

/// What one quota's count is kept under: a SHA-256 of the rule, the counted value (an org, a
/// caller) and the period's start, so the store never holds who called, and a count found at
/// start-up belongs to exactly one rule, caller and period.
public struct QuotaKey: Sendable, Hashable, CustomStringConvertible {
    public let high: UInt64
    public let low: UInt64

    public init(quota: String, value: String, periodStart: Int64) {
        let digest = SHA256.hash(data: Data("\(quota)\u{0}\(value)\u{0}\(periodStart)".utf8))
        var high: UInt64 = 0, low: UInt64 = 0
        for (index, byte) in digest.prefix(16).enumerated() {
            if index < 8 { high = high << 8 | UInt64(byte) } else { low = low << 8 | UInt64(byte) }
        }
        self.high = high
        self.low = low
    }

    /// 32 hex digits: how the store keeps it.
    public var description: String { String(format: "%016llx%016llx", high, low) }

    public init?(hex: String) {
        guard hex.utf8.count == 32, let high = UInt64(hex.prefix(16), radix: 16), let low = UInt64(hex.suffix(16), radix: 16) else {
            return nil
        }
        self.high = high
        self.low = low
    }
}

/// What the quota said about one request.
public struct QuotaDecision: Sendable, Equatable {
    public let allowed: Bool
    public let remaining: Int64
    /// Seconds until the period ends and the count starts over (at least 1).
    public let resetSeconds: Int64
}
