import Foundation

/// Why the token issuer could not start, rotate or issue. Descriptions never include key
/// material or issued tokens.
public enum TokenIssuerError: Error, Sendable, Equatable, CustomStringConvertible {
    case wrongMasterKeyLength(byteCount: Int)
    case invalidExternalURL(String)
    case invalidLifetime(String)
    case keyFileUnreadable(reason: String)
    case keyFileUnwritable(reason: String)
    case sealingFailed
    case invalidRequest(String)
    /// A token asked to live longer than the issuer's maximum lifetime.
    case lifetimeTooLong(requested: TimeInterval, maximum: TimeInterval)
    case signingFailed

    public var description: String {
        switch self {
        case .wrongMasterKeyLength(let byteCount):
            "the master key must be \(KeyFileSealer.keyByteCount) bytes, not \(byteCount)"
        case .invalidExternalURL(let reason):
            "the external URL is not usable as an issuer: \(reason)"
        case .invalidLifetime(let reason):
            "invalid token lifetime: \(reason)"
        case .keyFileUnreadable(let reason):
            "the signing key file cannot be read: \(reason)"
        case .keyFileUnwritable(let reason):
            "the signing key file cannot be written: \(reason)"
        case .sealingFailed:
            "sealing the signing keys failed"
        case .invalidRequest(let reason):
            "cannot issue the token: \(reason)"
        case .lifetimeTooLong(let requested, let maximum):
            "a token lifetime of \(Int(requested)) s exceeds the maximum of \(Int(maximum)) s"
        case .signingFailed:
            "signing the token failed"
        }
    }
}
