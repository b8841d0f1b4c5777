import Foundation

/// The time checks every signed token goes through (RFC 7519 §4.1.4–4.1.6), each allowing the
/// same clock skew in the token's favour.
enum ValidityWindow {
    /// The first time claim that fails at `now`, or nil when all hold.
    static func check(
        expiresAt: Date, notBefore: Date?, issuedAt: Date?, now: Date, clockSkew: TimeInterval
    ) -> TokenError? {
        // "The current time MUST be before the time represented by the exp claim."
        if now >= expiresAt.addingTimeInterval(clockSkew) { return .expired(expiredAt: expiresAt) }
        if let notBefore, now.addingTimeInterval(clockSkew) < notBefore { return .notYetValid(notBefore: notBefore) }
        // A token from the future was made by a broken clock or to outlive its lifetime.
        if let issuedAt, issuedAt > now.addingTimeInterval(clockSkew) { return .issuedInFuture(issuedAt: issuedAt) }
        return nil
    }
}
