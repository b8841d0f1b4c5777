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

    /// The period `now` (seconds since 1970) falls in: its start and end (UTC calendar).
    /// Integer arithmetic, not `Calendar`: it runs on every request of a route with a quota.
    public func window(at now: Int64) -> (start: Int64, end: Int64) {
        let day = now >= 0 ? now / 86_400 : (now - 86_399) / 86_400
        switch period {
        case .day:
            return (day * 86_400, (day + 1) * 86_400)
        case .month:
            let (year, month) = CivilDate.yearMonth(ofDay: day)
            let start = CivilDate.day(year: year, month: month, day: 1)
            let end = month == 12 ? CivilDate.day(year: year + 1, month: 1, day: 1) : CivilDate.day(year: year, month: month + 1, day: 1)
            return (start * 86_400, end * 86_400)
        }
    }

    public func window(at now: Date) -> (start: Int64, end: Int64) { window(at: Int64(now.timeIntervalSince1970.rounded(.down))) }
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

/// Days since 1970-01-01 and proleptic Gregorian dates, both ways (H. Hinnant's algorithms).
enum CivilDate {
    static func yearMonth(ofDay days: Int64) -> (year: Int64, month: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month)
    }

    static func day(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
