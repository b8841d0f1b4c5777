import Foundation
import GatehouseIdentity
import Hummingbird

/// The token endpoint's grants for people: the device code (RFC 8628 §3.4) after a device login,
/// and the refresh token (RFC 6749 §6) that keeps it going, rotated on every use.
extension TokenEndpoint {
    static let refreshTokenGrant = "refresh_token"

    static func deviceToken(_ form: [String: String], issuer: TokenIssuer, services: AuthServices) async throws -> Response {
        try DeviceRoutes.requireCLI(form)
        guard let deviceCode = form["device_code"], !deviceCode.isEmpty else {
            throw OAuthError.invalidRequest("device_code is missing")
        }
        switch services.devices.poll(deviceCode: deviceCode, clientID: DeviceRoutes.cliClientID, now: Date()) {
        case .pending:
            throw OAuthError(code: "authorization_pending", description: "the user has not signed in yet")
        case .slowDown(let interval):
            throw OAuthError(code: "slow_down", description: "poll at most every \(Int(interval)) seconds")
        case .expired:
            throw OAuthError(code: "expired_token", description: "the device code has expired; start again")
        case .denied:
            throw OAuthError(code: "access_denied", description: "the sign-in was refused")
        case .unknown:
            throw OAuthError.invalidGrant("the device code is unknown or already used")
        case .approved(let authorization):
            guard case .approved(let identity, let provider) = authorization.status else {
                throw OAuthError.invalidGrant("the device code is unknown or already used")
            }
            let grant = RefreshGrant(
                clientID: authorization.clientID, org: authorization.org, provider: provider, subject: identity.subject,
                groups: identity.groups, scopes: authorization.scopes, email: identity.email)
            let refreshToken = try await services.refreshTokens.issue(grant)
            services.logger.info("device signed in", metadata: ["org": "\(grant.org)", "provider": "\(provider)"])
            return try userTokens(grant, scopes: grant.scopes, refreshToken: refreshToken, issuer: issuer)
        }
    }

    static func refreshedToken(_ form: [String: String], issuer: TokenIssuer, services: AuthServices) async throws -> Response {
        try DeviceRoutes.requireCLI(form)
        guard let presented = form["refresh_token"], !presented.isEmpty else {
            throw OAuthError.invalidRequest("refresh_token is missing")
        }
        let asked = try requestedScopes(form)
        switch try await services.refreshTokens.rotate(presented, clientID: DeviceRoutes.cliClientID, scopes: asked) {
        case .failure(.reused):
            services.logger.notice("refresh token reused; its login is revoked")
            throw OAuthError.invalidGrant("the refresh token was already used; the login it belongs to is revoked")
        case .failure(.widerScope):
            throw OAuthError.invalidScope("scope may only narrow what the login granted")
        case .failure:
            throw OAuthError.invalidGrant("the refresh token is unknown, expired or revoked")
        case .success(let (grant, next)):
            return try userTokens(grant, scopes: asked.isEmpty ? grant.scopes : asked, refreshToken: next, issuer: issuer)
        }
    }

    private static func userTokens(_ grant: RefreshGrant, scopes: [String], refreshToken: String, issuer: TokenIssuer) throws -> Response {
        let token = try issue(
            AccessTokenRequest(
                subject: grant.subject, audiences: [issuer.defaultAudience], org: grant.org, groups: grant.groups,
                scopes: scopes, clientID: grant.clientID, kind: .user, identityProvider: grant.provider,
                email: grant.email),
            issuer: issuer)
        return try tokenResponse(token, scopes: scopes, refreshToken: refreshToken)
    }
}
