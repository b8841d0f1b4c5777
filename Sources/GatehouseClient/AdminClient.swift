import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOSSL

/// A typed client of the Gatehouse admin API (see docs/admin-api.md).
///
/// One client holds one connection pool (HTTP/2 when the server offers it, HTTP/1.1 keep-alive
/// otherwise); call `shutdown()` when done with it.
public final class AdminClient: Sendable {
    public let server: URL
    private let token: String?
    private let httpClient: HTTPClient
    private let requestTimeoutNanoseconds: Int64

    public static let defaultRequestTimeout: Duration = .seconds(30)
    /// Admin responses are small; anything beyond this is not a response we should buffer.
    static let maxResponseBytes = 32 * 1024 * 1024

    /// - Parameters:
    ///   - server: the control listener's base URL, e.g. `https://localhost:9443`.
    ///   - token: the bearer token; nil sends no Authorization header.
    ///   - caCertificatePath: a PEM file of CA certificates trusted in addition to the system's
    ///     (the dev CA that `gatehouse serve` generates, typically).
    ///   - insecure: skip certificate verification entirely (development only).
    public init(
        server: URL, token: String?, caCertificatePath: String?, insecure: Bool,
        requestTimeout: Duration = AdminClient.defaultRequestTimeout
    ) throws(AdminClientError) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if insecure {
            tls.certificateVerification = .none
        } else if let caCertificatePath {
            // Loaded now rather than by path at handshake time, so a wrong path is reported as
            // such instead of as an opaque handshake failure.
            do {
                let certificates = try NIOSSLCertificate.fromPEMFile(caCertificatePath)
                guard !certificates.isEmpty else {
                    throw AdminClientError.unreadableCACertificate(
                        path: caCertificatePath, reason: "no PEM certificate in the file")
                }
                tls.additionalTrustRoots = [.certificates(certificates)]
            } catch let error as AdminClientError {
                throw error
            } catch {
                let reason = FileManager.default.isReadableFile(atPath: caCertificatePath)
                    ? "not a PEM certificate (\(error))" : "no such readable file"
                throw AdminClientError.unreadableCACertificate(path: caCertificatePath, reason: reason)
            }
        }
        let nanoseconds = Self.nanoseconds(requestTimeout)
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // A redirect could carry the bearer token to another host; the admin API never redirects.
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .nanoseconds(nanoseconds)))
        configuration.httpVersion = .automatic
        // The admin API is one server, usually on this machine: a refused connection is the
        // answer ("not running"), not flakiness to retry until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.server = server
        self.token = token
        self.requestTimeoutNanoseconds = nanoseconds
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public func shutdown() async throws {
        try await httpClient.shutdown()
    }

    // MARK: - One exchange

    struct Response {
        var status: Int
        var body: Data
    }

    /// Sends one request and returns a 2xx response; any other status is thrown as the
    /// server's `Problem`, and failures to get a response at all as `AdminClientError.transport`.
    func send(
        _ method: HTTPMethodName, path: String, query: [(String, String)] = [],
        body: Data? = nil, ifMatch revision: Int64? = nil
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url(path: path, query: query))
        switch method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .put: request.method = .PUT
        case .delete: request.method = .DELETE
        }
        request.headers.add(name: "Accept", value: "application/json, \(Problem.mediaType)")
        request.headers.add(name: "User-Agent", value: "gatehouse-cli")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let revision { request.headers.add(name: "If-Match", value: "\"\(revision)\"") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(body))
        }

        let status: Int
        let contentType: String?
        let bytes: Data
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(requestTimeoutNanoseconds))
            status = Int(response.status.code)
            contentType = response.headers.first(name: "Content-Type")
            bytes = Data(try await response.body.collect(upTo: Self.maxResponseBytes).readableBytesView)
        } catch {
            throw AdminClientError.transport(server: server.absoluteString, reason: TransportFailure.describe(error))
        }
        guard (200..<300).contains(status) else {
            throw ProblemResponse.problem(status: status, contentType: contentType, body: bytes)
        }
        return Response(status: status, body: bytes)
    }

    func decode<T: Decodable>(_ type: T.Type, from response: Response, what: String) throws -> T {
        do {
            return try StrictJSON.decoder.decode(T.self, from: response.body)
        } catch {
            throw AdminClientError.invalidResponse("cannot read \(what): \(error)")
        }
    }

    private func url(path: String, query: [(String, String)]) -> String {
        var base = server.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + path + (query.isEmpty ? "" : "?" + ResourcePath.query(query))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// The methods the admin API uses, named here so callers need not import NIOHTTP1.
enum HTTPMethodName {
    case get, post, put, delete
}
