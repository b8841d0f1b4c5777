import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// One request as the admin and OAuth clients send it: small bodies, buffered both ways.
struct HTTPExchange: Sendable {
    var method: HTTPMethodName
    var url: String
    var headers: [(String, String)] = []
    var body: Data?
    /// Told the bytes of `body` sent so far, as they go (code uploads show it).
    var progress: (@Sendable (Int) -> Void)?
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

/// The real transport: one AsyncHTTPClient connection pool (HTTP/1.1 keep-alive).
final class AsyncHTTPTransport: HTTPTransport {
    private let server: URL
    private let httpClient: HTTPClient
    private let requestTimeout: Duration

    /// Admin responses are small; anything beyond this is not a response we should buffer.
    static let maxResponseBytes = 32 * 1024 * 1024

    /// - Parameters:
    ///   - caCertificatePath: a PEM file of CA certificates trusted in addition to the system's
    ///     (the dev CA that `gatehouse serve` generates, typically).
    ///   - insecure: skip certificate verification entirely (development only).
    /// Bodies are streamed in pieces this size, so a response that arrives while the body is
    /// still going out (a 413) is read at once and the rest is never sent.
    static let bodyChunkBytes = 256 * 1024

    init(server: URL, caCertificatePath: String?, insecure: Bool, timeouts: ClientTimeouts) throws(AdminClientError) {
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
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            // A redirect could carry the bearer token to another host; Gatehouse never redirects these.
            redirectConfiguration: .disallow,
            timeout: .init(connect: .nanoseconds(timeouts.connect.nanoseconds), read: .nanoseconds(timeouts.request.nanoseconds)))
        // HTTP/1.1 only: over HTTP/2, AsyncHTTPClient never completes (nor cancels) a request whose
        // server answered before the body was sent, so an oversized upload's 413 hung the CLI
        // forever. Over HTTP/1.1 the early answer is read and the rest of the body is not sent.
        // The CLI makes a handful of requests: multiplexing gains it nothing.
        configuration.httpVersion = .http1Only
        // The admin API is one server, usually on this machine: a refused connection is the
        // answer ("not running"), not flakiness to retry until the connect timeout.
        configuration.connectionPool.retryConnectionEstablishment = false
        self.server = server
        self.requestTimeout = timeouts.request
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
        if let body = exchange.body {
            request.body = .stream(BodyChunks(body: body, progress: exchange.progress), length: .known(Int64(body.count)))
        }
        let server = self.server.absoluteString
        do {
            // The whole exchange, body and response, within the request timeout: AsyncHTTPClient's
            // deadline ends when the response's head arrives, not its body.
            let limit = requestTimeout
            return try await Self.within(limit) { [httpClient, request] in
                let response = try await httpClient.execute(request, timeout: .nanoseconds(limit.nanoseconds))
                let body = try await response.body.collect(upTo: Self.maxResponseBytes)
                return HTTPExchangeResponse(
                    status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type"),
                    body: Data(body.readableBytesView), headers: response.headers.map { ($0.name, $0.value) })
            }
        } catch {
            throw AdminClientError.transport(server: server, reason: TransportFailure.describe(error))
        }
    }

    /// Runs `operation`, cancelled (and thrown as a timeout) once `limit` has passed.
    private static func within<T: Sendable>(
        _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw HTTPClientError.deadlineExceeded
            }
            return result
        }
    }

    func shutdown() async throws {
        try await httpClient.shutdown()
    }

}

/// How long the CLI waits: to connect, and for a whole request (body sent, response read).
public struct ClientTimeouts: Sendable, Equatable {
    public var connect: Duration
    public var request: Duration

    public static let standard = ClientTimeouts(connect: .seconds(10), request: .seconds(30))

    public init(connect: Duration, request: Duration) {
        self.connect = connect
        self.request = request
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// A body in `AsyncHTTPTransport.bodyChunkBytes` pieces, telling `progress` the running total
/// as each piece is taken to be sent.
struct BodyChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: Data
    let progress: (@Sendable (Int) -> Void)?

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: BodyChunks
        var offset = 0

        mutating func next() async -> ByteBuffer? {
            guard offset < chunks.body.count else { return nil }
            let end = Swift.min(offset + AsyncHTTPTransport.bodyChunkBytes, chunks.body.count)
            let piece = ByteBuffer(bytes: chunks.body[offset..<end])
            offset = end
            chunks.progress?(end)
            return piece
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}
