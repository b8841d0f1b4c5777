import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Fetches key sets over HTTP with an injected AsyncHTTPClient: OIDC discovery, then the JWKS.
///
/// Runs on the control side, never on a request's path: the cache calls it in the background
/// of a refresh, and verifications keep using the keys they have meanwhile.
public struct HTTPKeySetFetcher: KeySetFetching {
    public static let discoveryPath = "/.well-known/openid-configuration"

    private let client: HTTPClient
    private let timeout: TimeAmount
    private let maximumBodyBytes: Int

    public init(client: HTTPClient, timeout: TimeAmount = .seconds(10), maximumBodyBytes: Int = 512 * 1024) {
        self.client = client
        self.timeout = timeout
        self.maximumBodyBytes = maximumBodyBytes
    }

    public func fetchKeySet(for issuer: TrustedIssuer) async throws(KeySetFetchError) -> FetchedKeySet {
        let jwksURL: String
        switch issuer.keySource {
        case .jwksURL(let url): jwksURL = url
        case .discovery: jwksURL = try await discoverJWKSURL(issuer: issuer.issuer)
        }
        let response = try await get(jwksURL)
        return FetchedKeySet(document: response.body, maxAge: CacheControl.maxAge(response.headers[canonicalForm: "cache-control"].map(String.init)))
    }

    /// `jwks_uri` from the issuer's discovery document (OIDC Discovery 1.0 §4).
    func discoverJWKSURL(issuer: String) async throws(KeySetFetchError) -> String {
        let trimmedIssuer = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let url = trimmedIssuer + Self.discoveryPath
        let response = try await get(url)
        guard let document = ClaimValue.decodeObject([UInt8](response.body)) else {
            throw .invalidDocument(url: url, reason: "not a JSON object")
        }
        // A discovery document that names another issuer may be a mix-up or an attack; its
        // keys would then sign tokens that claim to come from here.
        guard document["issuer"]?.stringValue == issuer else { throw .issuerMismatch(url: url) }
        guard let jwksURI = document["jwks_uri"]?.stringValue, let parsed = URL(string: jwksURI),
            let scheme = parsed.scheme?.lowercased(), parsed.host != nil
        else {
            throw .unacceptableJWKSURI(url: url)
        }
        // Plain http only where the operator configured a plain http issuer (a local test
        // issuer); an https issuer's keys never travel unprotected.
        let issuerScheme = URL(string: issuer)?.scheme?.lowercased()
        guard scheme == "https" || (scheme == "http" && issuerScheme == "http") else {
            throw .unacceptableJWKSURI(url: url)
        }
        return jwksURI
    }

    private func get(_ url: String) async throws(KeySetFetchError) -> (body: Data, headers: HTTPHeaders) {
        let reply: ProviderHTTP.Reply
        do {
            reply = try await ProviderHTTP(client: client, timeout: timeout, maximumBodyBytes: maximumBodyBytes).get(url)
        } catch {
            switch error {
            case .transport(let url, let reason): throw .transport(url: url, reason: reason)
            case .bodyTooLarge(let url, let limit): throw .bodyTooLarge(url: url, limit: limit)
            }
        }
        guard reply.status == 200 else { throw .httpStatus(url: url, status: reply.status) }
        return (reply.body, reply.headers)
    }
}
