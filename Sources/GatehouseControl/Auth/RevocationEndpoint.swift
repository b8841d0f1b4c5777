import Foundation
import GatehouseIdentity
import Hummingbird

/// `POST /auth/revoke` (RFC 7009): `token` (a refresh token) and `client_id`. Revokes every refresh
/// token of the login it belongs to. Answers 200 whether or not the token was known (§2.2), so it
/// reveals nothing; access tokens are short-lived JWTs and simply expire.
enum RevocationEndpoint {
    static func register<Context: RequestContext>(on router: Router<Context>, services: AuthServices) {
        router.oauthPost("/auth/revoke") { request in try await revoke(request, services: services) }
    }

    static func revoke(_ request: Request, services: AuthServices) async throws -> Response {
        let form = try await TokenEndpoint.readForm(request)
        try DeviceRoutes.requireCLI(form)
        guard let token = form["token"], !token.isEmpty else { throw OAuthError.invalidRequest("token is missing") }
        if try await services.refreshTokens.revokeFamily(of: token) {
            services.logger.info("refresh tokens revoked")
        }
        return Response(status: .ok, headers: [.cacheControl: "no-store"])
    }
}
