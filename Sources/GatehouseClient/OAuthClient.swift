import Foundation

/// The CLI's side of Gatehouse's OAuth endpoints on the control listener: the device
/// authorization request (RFC 8628), the token endpoint's device-code and refresh-token grants,
/// and revocation (RFC 7009). Form bodies in, JSON out; errors are RFC 6749 `{"error", ...}`.
public final class OAuthClient: Sendable {
    /// The one client Gatehouse registers for device logins.
    public static let clientID = "gatehouse-cli"
    static let deviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code"

    public let server: URL
    private let transport: any HTTPTransport
    private let ownsTransport: Bool

    public convenience init(
        server: URL, caCertificatePath: String?, insecure: Bool, timeouts: ClientTimeouts = .standard
    ) throws(AdminClientError) {
        let transport = try AsyncHTTPTransport(
            server: server, caCertificatePath: caCertificatePath, insecure: insecure, timeouts: timeouts)
        self.init(server: server, transport: transport, ownsTransport: true)
    }

    init(server: URL, transport: any HTTPTransport, ownsTransport: Bool = false) {
        self.server = server
        self.transport = transport
        self.ownsTransport = ownsTransport
    }

    public func shutdown() async throws {
        if ownsTransport { try await transport.shutdown() }
    }

    /// `POST /auth/device/code`: the codes a person uses to approve this device.
    public func deviceCode(org: String, provider: String?) async throws -> DeviceCode {
        var form = [("client_id", Self.clientID), ("org", org)]
        if let provider { form.append(("provider", provider)) }
        return try decode(DeviceCode.self, from: try await post("/auth/device/code", form))
    }

    /// One poll of the token endpoint for a device code; `OAuthError` until the person approved.
    func deviceToken(_ deviceCode: String) async throws -> TokenGrant {
        let form = [("grant_type", Self.deviceCodeGrant), ("device_code", deviceCode), ("client_id", Self.clientID)]
        return try decode(TokenGrant.self, from: try await post("/auth/token", form))
    }

    /// Exchanges a refresh token for a new access token and a new refresh token (the one given
    /// is spent).
    func refresh(_ refreshToken: String) async throws -> TokenGrant {
        let form = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", Self.clientID)]
        return try decode(TokenGrant.self, from: try await post("/auth/token", form))
    }

    /// Revokes a refresh token and every other token of its login.
    public func revoke(_ refreshToken: String) async throws {
        _ = try await post("/auth/revoke", [("token", refreshToken), ("client_id", Self.clientID)])
    }

    private func post(_ path: String, _ form: [(String, String)]) async throws -> HTTPExchangeResponse {
        let exchange = HTTPExchange(
            method: .post, url: server.joined(path),
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json")],
            body: Data(ResourcePath.query(form).utf8))
        let response = try await transport.send(exchange)
        guard (200..<300).contains(response.status) else {
            if let error = try? JSONDecoder().decode(OAuthError.self, from: response.body) { throw error }
            throw ProblemResponse.problem(status: response.status, contentType: response.contentType, body: response.body)
        }
        return response
    }

    private func decode<T: Decodable>(_ type: T.Type, from response: HTTPExchangeResponse) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw AdminClientError.invalidResponse("cannot read the answer of \(server.absoluteString)/auth: \(error)")
        }
    }
}

/// The answer to a device authorization request (RFC 8628 §3.2).
public struct DeviceCode: Decodable, Sendable, Equatable {
    public var deviceCode: String
    public var userCode: String
    public var verificationURI: String
    public var verificationURIComplete: String?
    public var expiresIn: Int
    public var interval: Int?

    enum CodingKeys: String, CodingKey {
        case deviceCode = "device_code", userCode = "user_code", verificationURI = "verification_uri"
        case verificationURIComplete = "verification_uri_complete", expiresIn = "expires_in", interval
    }
}

/// A successful token response (RFC 6749 §5.1).
struct TokenGrant: Decodable, Sendable {
    var accessToken: String
    var expiresIn: Int
    var refreshToken: String?

    enum CodingKeys: String, CodingKey {
        case accessToken = "access_token", expiresIn = "expires_in", refreshToken = "refresh_token"
    }
}

/// An OAuth error response (RFC 6749 §5.2), e.g. `authorization_pending` or `invalid_grant`.
public struct OAuthError: Error, Decodable, Sendable, Equatable, CustomStringConvertible {
    public var error: String
    public var errorDescription: String?

    enum CodingKeys: String, CodingKey {
        case error, errorDescription = "error_description"
    }

    public var description: String {
        "the server refused: \(error)" + (errorDescription.map { " (\($0))" } ?? "")
    }
}
