import Foundation

/// Why a token was refused. Each reason is its own case so callers (and tests) can tell them
/// apart; descriptions say what was wrong and never contain the token, its signature or any
/// key material. Values read from an unverified token (an `alg`, a `kid`) appear only
/// shortened and stripped of unusual characters.
public enum TokenError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Longer than `CompactJWS.maximumByteCount`; refused before any parsing.
    case tooLarge(byteCount: Int, limit: Int)
    case malformed(MalformedReason)
    case missingAlgorithm
    /// `alg: none`, in any spelling (RFC 8725 §3.1).
    case unsecuredAlgorithm
    /// An algorithm the issuer is not trusted to use (HMAC algorithms never are).
    case algorithmNotAllowed(algorithm: String)
    /// An allowed algorithm, but not one the selected key may be used with.
    case algorithmNotAllowedForKey(algorithm: String, keyID: String)
    /// `jku`, `x5u`, `jwk` or `x5c`: keys are never taken from the token itself.
    case forbiddenHeader(name: String)
    /// A `crit` header: it names extensions that must be understood, and none are.
    case criticalHeader
    /// A `typ` other than `JWT` or `at+jwt` (e.g. an ID token or a logout token presented as an
    /// access token).
    case unexpectedType(type: String)
    /// The `iss` claim names no trusted issuer.
    case untrustedIssuer
    /// No `kid`, and the issuer has more than one key.
    case missingKeyID
    /// No key with this `kid`, even after the allowed refresh of the issuer's key set.
    case unknownKeyID(keyID: String)
    /// The issuer's key set has never been fetched successfully.
    case keySetUnavailable(issuer: String)
    case invalidSignature
    case missingClaim(name: String)
    case expired(expiredAt: Date)
    case notYetValid(notBefore: Date)
    case issuedInFuture(issuedAt: Date)
    case missingAudience
    /// `aud` names none of the audiences this verifier accepts.
    case audienceMismatch

    public enum MalformedReason: Sendable, Equatable, CustomStringConvertible {
        /// Not three dot-separated segments (a JWE has five; a JSON serialization has none).
        case segmentCount
        case base64(Segment)
        case headerNotJSONObject
        case payloadNotJSONObject
        /// A registered claim or header member of the wrong JSON type.
        case memberType(name: String)

        public var description: String {
            switch self {
            case .segmentCount: "it is not three base64url segments separated by dots"
            case .base64(let segment): "its \(segment.rawValue) is not unpadded base64url"
            case .headerNotJSONObject: "its header is not a JSON object"
            case .payloadNotJSONObject: "its payload is not a JSON object"
            case .memberType(let name): "its '\(LogSafe.fragment(name))' member has the wrong type"
            }
        }
    }

    public enum Segment: String, Sendable, Equatable {
        case header, payload, signature
    }

    /// True for the failures a fresh copy of the issuer's key set may cure (a rotated key).
    public var isCuredByKeyRefresh: Bool {
        switch self {
        case .unknownKeyID, .keySetUnavailable: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .tooLarge(let byteCount, let limit):
            "the token is \(byteCount) bytes, more than the limit of \(limit)"
        case .malformed(let reason):
            "the token is malformed: \(reason)"
        case .missingAlgorithm:
            "the token's header has no 'alg'"
        case .unsecuredAlgorithm:
            "the token is unsecured (alg 'none'), which is never accepted"
        case .algorithmNotAllowed(let algorithm):
            "the token's algorithm '\(LogSafe.fragment(algorithm))' is not allowed for its issuer"
        case .algorithmNotAllowedForKey(let algorithm, let keyID):
            "the token's algorithm '\(LogSafe.fragment(algorithm))' cannot be used with key '\(LogSafe.fragment(keyID))'"
        case .forbiddenHeader(let name):
            "the token's header carries '\(LogSafe.fragment(name))'; keys are never taken from a token"
        case .criticalHeader:
            "the token's header has 'crit', naming extensions that are not understood"
        case .unexpectedType(let type):
            "the token's type '\(LogSafe.fragment(type))' is not JWT or at+jwt"
        case .untrustedIssuer:
            "the token's issuer is not trusted"
        case .missingKeyID:
            "the token's header has no 'kid' and its issuer has several keys"
        case .unknownKeyID(let keyID):
            "the token's key '\(LogSafe.fragment(keyID))' is not in its issuer's key set"
        case .keySetUnavailable(let issuer):
            "the keys of issuer \(LogSafe.fragment(issuer)) could not be fetched yet"
        case .invalidSignature:
            "the token's signature does not verify"
        case .missingClaim(let name):
            "the token has no '\(LogSafe.fragment(name))' claim"
        case .expired(let expiredAt):
            "the token expired at \(Self.timestamp(expiredAt))"
        case .notYetValid(let notBefore):
            "the token is not valid before \(Self.timestamp(notBefore))"
        case .issuedInFuture(let issuedAt):
            "the token claims to be issued in the future, at \(Self.timestamp(issuedAt))"
        case .missingAudience:
            "the token has no 'aud' claim"
        case .audienceMismatch:
            "the token is not meant for this audience"
        }
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
