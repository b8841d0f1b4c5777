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
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw .transport(url: url, reason: String(describing: error))
        }
        guard response.status == .ok else {
            // Drain a little of the body so the connection can be reused; its content is ignored.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            throw .httpStatus(url: url, status: Int(response.status.code))
        }
        do {
            let body = try await response.body.collect(upTo: maximumBodyBytes)
            return (Data(body.readableBytesView), response.headers)
        } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(url: url, limit: maximumBodyBytes)
        } catch {
            throw .transport(url: url, reason: String(describing: error))
        }
    }
}
