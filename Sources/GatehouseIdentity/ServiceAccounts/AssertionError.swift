import Foundation

/// Why a service account's assertion (RFC 7523) was refused. Like `TokenError`, descriptions
/// never contain the assertion or key material.
public enum AssertionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A failure every signed token can have: shape, header rules, signature, times, audience.
    case token(TokenError)
    /// `iss` is not `{org}/{name}` of valid names.
    case invalidIssuer
    /// `sub` differs from `iss`: a service account asserts only itself.
    case subjectMismatch
    /// The assertion names another service account than the one whose keys were given.
    case wrongServiceAccount
    /// `exp` lies further ahead than the maximum assertion lifetime allows.
    case lifetimeTooLong(maximumSeconds: Int)
    /// None of the account's registered keys can verify this algorithm.
    case noUsableKey
    case missingTokenID
    /// The `jti` was used before and has not expired.
    case replayed
    /// The replay cache is full of unexpired assertions; try again later.
    case replayCacheFull

    public var description: String {
        switch self {
        case .token(let error): "the assertion is refused: \(error)"
        case .invalidIssuer: "the assertion's 'iss' is not a service account ('org/name')"
        case .subjectMismatch: "the assertion's 'sub' differs from its 'iss'"
        case .wrongServiceAccount: "the assertion names another service account"
        case .lifetimeTooLong(let maximum): "the assertion expires more than \(maximum) s from now"
        case .noUsableKey: "no registered key of the service account fits the assertion's algorithm"
        case .missingTokenID: "the assertion has no 'jti'"
        case .replayed: "the assertion was already used"
        case .replayCacheFull: "too many assertions are in use; try again later"
        }
    }
}
