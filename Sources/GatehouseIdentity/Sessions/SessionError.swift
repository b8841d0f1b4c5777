/// Why a session cookie was refused. Descriptions never contain the cookie.
public enum SessionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not a cookie Gatehouse sealed (altered, truncated, from another installation).
    case malformed
    /// Sealed by Gatehouse, but the session is gone: signed out, revoked, or swept.
    case unknown
    case expired
    /// The cookie and the session it names disagree on the org.
    case orgMismatch

    public var description: String {
        switch self {
        case .malformed: "the session cookie is not one Gatehouse issued"
        case .unknown: "the session has ended (signed out or revoked)"
        case .expired: "the session has expired; sign in again"
        case .orgMismatch: "the session cookie does not belong to its session's org"
        }
    }
}
