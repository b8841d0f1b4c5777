import Foundation

/// Where a key set comes from: the seam between the cache and the network. `HTTPKeySetFetcher`
/// fetches with AsyncHTTPClient; tests serve documents from memory; `TokenIssuer` serves its own.
public protocol KeySetFetching: Sendable {
    /// The issuer's current JWKS document, as fetched.
    func fetchKeySet(for issuer: TrustedIssuer) async throws(KeySetFetchError) -> FetchedKeySet
}

/// A JWKS document and how long its server said it may be kept.
public struct FetchedKeySet: Sendable, Equatable {
    public var document: Data
    /// `Cache-Control: max-age` in seconds (0 for `no-cache`/`no-store`), unbounded; nil if absent.
    public var maxAge: TimeInterval?

    public init(document: Data, maxAge: TimeInterval? = nil) {
        self.document = document
        self.maxAge = maxAge
    }
}

public enum KeySetFetchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request did not complete (connection refused, TLS failure, timeout).
    case transport(url: String, reason: String)
    case httpStatus(url: String, status: Int)
    case bodyTooLarge(url: String, limit: Int)
    case invalidDocument(url: String, reason: String)
    /// The discovery document names another issuer (OIDC Discovery §4.3 requires them equal).
    case issuerMismatch(url: String)
    /// A `jwks_uri` that would downgrade an https issuer to plain http, or is not a URL.
    case unacceptableJWKSURI(url: String)
    /// The fetcher does not serve keys for this issuer.
    case unknownIssuer(issuer: String)

    public var description: String {
        switch self {
        case .transport(let url, let reason): "fetching \(url) failed: \(reason)"
        case .httpStatus(let url, let status): "fetching \(url) answered HTTP \(status)"
        case .bodyTooLarge(let url, let limit): "the response from \(url) is larger than \(limit) bytes"
        case .invalidDocument(let url, let reason): "the document at \(url) is not usable: \(reason)"
        case .issuerMismatch(let url): "the discovery document at \(url) names a different issuer"
        case .unacceptableJWKSURI(let url): "the discovery document at \(url) has an unacceptable jwks_uri"
        case .unknownIssuer(let issuer): "no key set is served for issuer \(issuer)"
        }
    }
}

/// Why a refresh left the key set as it was.
public enum KeySetRefreshError: Error, Sendable, Equatable, CustomStringConvertible {
    case fetch(KeySetFetchError)
    case invalidKeySet(String)
    /// The document held keys, but none Gatehouse may use; the previous keys are kept.
    case noUsableKeys(skipped: Int)

    public var description: String {
        switch self {
        case .fetch(let error): "\(error)"
        case .invalidKeySet(let reason): "the key set is invalid: \(reason)"
        case .noUsableKeys(let skipped): "the key set has no usable key (\(skipped) skipped)"
        }
    }
}
