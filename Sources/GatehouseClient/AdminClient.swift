import Foundation
import GatehouseModel

/// A typed client of the Gatehouse admin API (see docs/admin-api.md).
///
/// One client holds one connection pool; call `shutdown()` when done with it.
public final class AdminClient: Sendable {
    public let server: URL
    private let credential: Credential
    private let transport: any HTTPTransport

    /// How the client proves who it is.
    enum Credential: Sendable {
        case none
        case bearer(String)
        /// A `gatehouse login`: its access token, refreshed when it expires or is refused.
        case login(LoginSession)
    }

    /// - Parameters:
    ///   - server: the control listener's base URL, e.g. `https://localhost:9443`.
    ///   - token: the bearer token; nil sends no Authorization header unless `login` is given.
    ///   - login: a stored `gatehouse login` for this server, used when `token` is nil; the
    ///     tokens it refreshes are written back to `configFile`.
    ///   - caCertificatePath: a PEM file of CA certificates trusted in addition to the system's.
    ///   - insecure: skip certificate verification entirely (development only).
    ///   - timeouts: to connect, and for each whole request.
    public convenience init(
        server: URL, token: String?, login: StoredLogin? = nil, configFile: ClientConfigStore? = nil,
        caCertificatePath: String?, insecure: Bool, timeouts: ClientTimeouts = .standard
    ) throws(AdminClientError) {
        let transport = try AsyncHTTPTransport(
            server: server, caCertificatePath: caCertificatePath, insecure: insecure, timeouts: timeouts)
        let credential: Credential =
            if let token { .bearer(token) } else if let login, let configFile {
                .login(LoginSession(login: login, oauth: OAuthClient(server: server, transport: transport), store: configFile))
            } else { .none }
        self.init(server: server, credential: credential, transport: transport)
    }

    init(server: URL, credential: Credential, transport: any HTTPTransport) {
        self.server = server
        self.credential = credential
        self.transport = transport
    }

    public func shutdown() async throws {
        try await transport.shutdown()
    }

    // MARK: - One exchange

    struct Response {
        var status: Int
        var body: Data
    }

    /// Sends one request and returns a 2xx response; any other status is thrown as the
    /// server's `Problem`, and failures to get a response at all as `AdminClientError.transport`.
    /// With a login, an expired access token is refreshed first, and a 401 refreshes it and
    /// retries once.
    func send(
        _ method: HTTPMethodName, path: String, query: [(String, String)] = [],
        body: Data? = nil, ifMatch revision: Int64? = nil
    ) async throws -> Response {
        var exchange = HTTPExchange(method: method, url: url(path: path, query: query))
        exchange.headers.append(("Accept", "application/json, \(Problem.mediaType)"))
        if let revision { exchange.headers.append(("If-Match", "\"\(revision)\"")) }
        if let body {
            exchange.headers.append(("Content-Type", "application/json"))
            exchange.body = body
        }
        let response = try await perform(exchange)
        guard (200..<300).contains(response.status) else {
            throw ProblemResponse.problem(status: response.status, contentType: response.contentType, body: response.body)
        }
        return Response(status: response.status, body: response.body)
    }

    /// Sends one request built by the caller (any body and headers) and returns whatever the
    /// server answered, non-2xx included; the credential is handled as in `send`.
    func exchange(
        _ method: HTTPMethodName, path: String, query: [(String, String)] = [], headers: [(String, String)] = [],
        body: Data? = nil, progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> HTTPExchangeResponse {
        var exchange = HTTPExchange(method: method, url: url(path: path, query: query))
        exchange.headers = headers
        exchange.body = body
        exchange.progress = progress
        return try await perform(exchange)
    }

    private func perform(_ exchange: HTTPExchange) async throws -> HTTPExchangeResponse {
        var response: HTTPExchangeResponse
        switch credential {
        case .none:
            response = try await transport.send(exchange)
        case .bearer(let token):
            response = try await transport.send(exchange.authorized(by: token))
        case .login(let session):
            let token = try await session.accessToken()
            response = try await transport.send(exchange.authorized(by: token))
            if response.status == 401 {
                let refreshed = try await session.refresh(rejected: token)
                response = try await transport.send(exchange.authorized(by: refreshed))
            }
        }
        return response
    }

    func decode<T: Decodable>(_ type: T.Type, from response: Response, what: String) throws -> T {
        do {
            return try StrictJSON.decoder.decode(T.self, from: response.body)
        } catch {
            throw AdminClientError.invalidResponse("cannot read \(what): \(error)")
        }
    }

    private func url(path: String, query: [(String, String)]) -> String {
        server.joined(path) + (query.isEmpty ? "" : "?" + ResourcePath.query(query))
    }
}

extension HTTPExchange {
    func authorized(by token: String) -> HTTPExchange {
        var copy = self
        copy.headers.append(("Authorization", "Bearer \(token)"))
        return copy
    }
}

extension URL {
    /// The server's URL with `path` appended, without a doubled `/`.
    func joined(_ path: String) -> String {
        var base = absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + path
    }
}
