import AsyncHTTPClient
import Foundation
import NIOSSL

/// One request as the admin and OAuth clients send it: small bodies, buffered both ways.
struct HTTPExchange: Sendable {
    var method: HTTPMethodName
    var url: String
    var headers: [(String, String)] = []
    var body: Data?
}

struct HTTPExchangeResponse: Sendable {
    var status: Int
    var contentType: String?
    var body: Data
    /// Every response header; the admin client reads a few (`x-gatehouse-run-id`, `Location`).
    var headers: [(String, String)] = []

    func header(_ name: String) -> String? {
        headers.first { $0.0.caseInsensitiveCompare(name) == .orderedSame }?.1
    }
}

/// The seam between the clients and the network, so their logic (token refresh, device polling)
/// can be tested against a stub. Failures to get a response at all are `AdminClientError.transport`.
protocol HTTPTransport: Sendable {
    func send(_ exchange: HTTPExchange) async throws -> HTTPExchangeResponse
    func shutdown() async throws
}

/// The methods the clients use, named here so callers need not import NIOHTTP1.
enum HTTPMethodName: Sendable {
    case get, post, put, delete
}

/// The real transport: one AsyncHTTPClient connection pool (HTTP/2 when the server offers it,
/// HTTP/1.1 keep-alive otherwise).
final class AsyncHTTPTransport: HTTPTransport {
    private let server: URL
    private let httpClient: HTTPClient
    private let requestTimeoutNanoseconds: Int64

    /// Admin responses are small; anything beyond this is not a response we should buffer.
    static let maxResponseBytes = 32 * 1024 * 1024

    /// - Parameters:
    ///   - caCertificatePath: a PEM file of CA certificates trusted in addition to the system's
    ///     (the dev CA that `gatehouse serve` generates, typically).
    ///   - insecure: skip certificate verification entirely (development only).
    init(server: URL, caCertificatePath: String?, insecure: Bool, requestTimeout: Duration) throws(AdminClientError) {
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
            // A redirect could carry the bearer token to another host; Gatehouse never redirects these.
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .nanoseconds(nanoseconds)))
        configuration.httpVersion = .automatic
        // The admin API is one server, usually on this machine: a refused connection is the
        // answer ("not running"), not flakiness to retry until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.server = server
        self.requestTimeoutNanoseconds = nanoseconds
        self.httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    func send(_ exchange: HTTPExchange) async throws -> HTTPExchangeResponse {
        var request = HTTPClientRequest(url: exchange.url)
        switch exchange.method {
        case .get: request.method = .GET
        case .post: request.method = .POST
        case .put: request.method = .PUT
        case .delete: request.method = .DELETE
        }
        request.headers.add(name: "User-Agent", value: "gatehouse-cli")
        for (name, value) in exchange.headers { request.headers.add(name: name, value: value) }
        if let body = exchange.body { request.body = .bytes(Array(body)) }
        do {
            let response = try await httpClient.execute(request, timeout: .nanoseconds(requestTimeoutNanoseconds))
            let body = try await response.body.collect(upTo: Self.maxResponseBytes)
            return HTTPExchangeResponse(
                status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                body: Data(body.readableBytesView), headers: response.headers.map { ($0.name, $0.value) })
        } catch {
            throw AdminClientError.transport(server: server.absoluteString, reason: TransportFailure.describe(error))
        }
    }

    func shutdown() async throws {
        try await httpClient.shutdown()
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
