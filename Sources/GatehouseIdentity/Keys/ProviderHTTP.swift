import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Gatehouse's calls to identity providers (discovery, JWKS, code exchange, GitHub's and
/// Microsoft Graph's APIs): one bounded request with AsyncHTTPClient. Bodies are capped,
/// every call has a timeout, and errors name the URL, never a credential.
struct ProviderHTTP: Sendable {
    struct Reply: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        var json: [String: ClaimValue]? { ClaimValue.decodeObject([UInt8](body)) }
    }

    enum Failure: Error, Sendable, Equatable {
        case transport(url: String, reason: String)
        case bodyTooLarge(url: String, limit: Int)
    }

    let client: HTTPClient
    var timeout: TimeAmount = .seconds(10)
    var maximumBodyBytes: Int = 512 * 1024

    func get(_ url: String, headers: [(String, String)] = []) async throws(Failure) -> Reply {
        try await send(url, method: .GET, headers: headers, body: nil)
    }

    /// An `application/x-www-form-urlencoded` POST (RFC 6749's token requests).
    func postForm(_ url: String, _ form: [(String, String)], headers: [(String, String)] = []) async throws(Failure) -> Reply {
        let body = FormEncoding.encode(form)
        return try await send(
            url, method: .POST, headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
            body: Data(body.utf8))
    }

    func postJSON(_ url: String, _ json: Data, headers: [(String, String)] = []) async throws(Failure) -> Reply {
        try await send(url, method: .POST, headers: headers + [("Content-Type", "application/json")], body: json)
    }

    private func send(_ url: String, method: HTTPMethod, headers: [(String, String)], body: Data?) async throws(Failure) -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "gatehouse")
        for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw .transport(url: url, reason: String(describing: error))
        }
        do {
            let collected = try await response.body.collect(upTo: maximumBodyBytes)
            return Reply(status: Int(response.status.code), headers: response.headers, body: Data(collected.readableBytesView))
        } catch is NIOTooManyBytesError {
            throw .bodyTooLarge(url: url, limit: maximumBodyBytes)
        } catch {
            throw .transport(url: url, reason: String(describing: error))
        }
    }
}

/// `application/x-www-form-urlencoded` (the WHATWG URL standard's serializer): what OAuth
/// token requests send and what `/auth/token` reads.
public enum FormEncoding {
    /// Unreserved characters stay; everything else, space included, is percent-encoded (`%20`
    /// rather than `+`, so the same text is right in a URL's query and in a form body).
    static let unreserved = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")

    public static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// The pairs of a form body or query; nil if it is not valid percent-encoding. A name
    /// repeated is kept repeated; callers refuse duplicates where RFC 6749 §3.1 says to.
    public static func decode(_ body: String) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        for part in body.split(separator: "&") where !part.isEmpty {
            let halves = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ text: Substring) -> String? {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = unescape(halves[0]), let value = unescape(halves.count > 1 ? halves[1] : "") else { return nil }
            pairs.append((name, value))
        }
        return pairs
    }
}
