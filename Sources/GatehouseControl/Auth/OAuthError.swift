import Foundation
import HTTPTypes
import Hummingbird

/// An error of an OAuth endpoint, answered as RFC 6749 §5.2 says (not as a problem: OAuth
/// clients look for `error`): 400, or 401 for `invalid_client`, with `Cache-Control: no-store`.
struct OAuthError: Error, Sendable {
    var code: String
    var description: String

    static func invalidRequest(_ description: String) -> OAuthError { OAuthError(code: "invalid_request", description: description) }
    static func invalidGrant(_ description: String) -> OAuthError { OAuthError(code: "invalid_grant", description: description) }
    static func invalidScope(_ description: String) -> OAuthError { OAuthError(code: "invalid_scope", description: description) }
    static func unsupportedGrantType(_ description: String) -> OAuthError {
        OAuthError(code: "unsupported_grant_type", description: description)
    }
    static func serverError(_ description: String) -> OAuthError { OAuthError(code: "server_error", description: description) }

    var status: HTTPResponse.Status {
        switch code {
        case "invalid_client": .unauthorized
        case "server_error": .internalServerError
        case "temporarily_unavailable": .serviceUnavailable
        default: .badRequest
        }
    }

    var response: Response {
        let body = (try? JSONSerialization.data(withJSONObject: ["error": code, "error_description": description], options: [.sortedKeys])) ?? Data()
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Router {
    /// A POST route of an OAuth endpoint: the `OAuthError`s its handler throws are answered as
    /// RFC 6749 §5.2 says; anything else goes on to the problem middleware.
    func oauthPost(_ path: RouterPath, _ handler: @escaping @Sendable (Request) async throws -> Response) {
        post(path) { request, _ in
            do {
                return try await handler(request)
            } catch let error as OAuthError {
                return error.response
            }
        }
    }
}
