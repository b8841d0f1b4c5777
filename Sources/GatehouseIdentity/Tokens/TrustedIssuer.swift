import Foundation

/// An issuer whose tokens the verifier accepts, and the rules its tokens must follow.
public struct TrustedIssuer: Sendable, Equatable {
    /// Where the issuer's public keys come from. Keys are only ever fetched from here, never from
    /// a URL or key carried in a token (`jku`, `x5u`, `jwk`, `x5c` are refused).
    public enum KeySource: Sendable, Equatable {
        /// `{issuer}/.well-known/openid-configuration`, then its `jwks_uri` (OIDC Discovery).
        case discovery
        /// A JWKS URL given directly, for issuers without discovery.
        case jwksURL(String)
    }

    /// The exact `iss` value (compared byte for byte, as RFC 7519 §4.1.1 says).
    public let issuer: String
    public let keySource: KeySource
    public let allowedAlgorithms: Set<SignatureAlgorithm>
    /// A token is accepted when its `aud` names at least one of these (RFC 8725 §3.9).
    public let audiences: Set<String>
    /// How far the clocks of the issuer and Gatehouse may disagree, in seconds.
    public let clockSkew: TimeInterval

    public static let defaultClockSkew: TimeInterval = 60
    public static let maximumClockSkew: TimeInterval = 300

    public init(
        issuer: String,
        keySource: KeySource = .discovery,
        audiences: Set<String>,
        allowedAlgorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.defaultAllowed,
        clockSkew: TimeInterval = TrustedIssuer.defaultClockSkew
    ) throws(TrustedIssuerError) {
        guard !issuer.isEmpty else { throw .emptyIssuer }
        // Without an audience check a token minted for any other relying party of the same
        // issuer would be accepted here.
        guard !audiences.isEmpty, !audiences.contains("") else { throw .noAudience(issuer: issuer) }
        guard !allowedAlgorithms.isEmpty else { throw .noAlgorithm(issuer: issuer) }
        guard clockSkew >= 0, clockSkew <= Self.maximumClockSkew else {
            throw .clockSkewOutOfRange(issuer: issuer, seconds: clockSkew)
        }
        if case .jwksURL(let url) = keySource, URL(string: url)?.host == nil {
            throw .invalidJWKSURL(issuer: issuer)
        }
        self.issuer = issuer
        self.keySource = keySource
        self.audiences = audiences
        self.allowedAlgorithms = allowedAlgorithms
        self.clockSkew = clockSkew
    }
}

public enum TrustedIssuerError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyIssuer
    case noAudience(issuer: String)
    case noAlgorithm(issuer: String)
    case clockSkewOutOfRange(issuer: String, seconds: TimeInterval)
    case invalidJWKSURL(issuer: String)
    case duplicateIssuer(issuer: String)

    public var description: String {
        switch self {
        case .emptyIssuer:
            "a trusted issuer needs a non-empty issuer"
        case .noAudience(let issuer):
            "trusted issuer \(issuer) needs at least one non-empty audience"
        case .noAlgorithm(let issuer):
            "trusted issuer \(issuer) needs at least one allowed algorithm"
        case .clockSkewOutOfRange(let issuer, let seconds):
            "trusted issuer \(issuer): clock skew must be 0 to \(Int(TrustedIssuer.maximumClockSkew)) seconds, not \(seconds)"
        case .invalidJWKSURL(let issuer):
            "trusted issuer \(issuer): the JWKS URL is not an absolute URL"
        case .duplicateIssuer(let issuer):
            "issuer \(issuer) is trusted twice; each issuer may appear once"
        }
    }
}
