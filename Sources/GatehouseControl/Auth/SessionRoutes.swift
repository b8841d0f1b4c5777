import Foundation
import GatehouseIdentity
import GatehouseModel
import HTTPTypes
import Hummingbird

/// The signed-in browser's view of its session, and signing out.
///
///     GET  /auth/session   → who is signed in (+ a Gatehouse access token, see below)
///     POST /auth/logout    → ends the session server-side, expires the cookie
///
/// Logout is POST only: a GET that signs out could be triggered by any page (an <img>), and
/// the cookie is `SameSite=Lax`, which browsers send on cross-site GETs but not POSTs.
enum SessionRoutes {
    /// The header a same-origin script sends to receive an access token with the session. A
    /// cross-origin page cannot send a custom header without a CORS preflight, which Gatehouse
    /// does not grant, and cannot read the answer either; so the token reaches only scripts of
    /// Gatehouse's own origin (the console), never a page that merely embeds or links the URL.
    static let tokenRequestHeader = HTTPField.Name("X-Gatehouse-Token-Request")!

    struct SessionSummary: Encodable {
        var subject: String
        var org: String
        var provider: String
        var email: String?
        var name: String?
        var groups: [String]
        var expiresAt: Date
        var accessToken: String?
        var tokenType: String?
        var accessTokenExpiresAt: Date?
    }

    static func register<Context: RequestContext>(on router: Router<Context>, services: AuthServices) {
        router.get("/auth/session") { request, _ in try session(request, services: services) }
        router.post("/auth/logout") { request, _ in try await logout(request, services: services) }
    }

    static func session(_ request: Request, services: AuthServices) throws -> Response {
        guard let cookie = request.sessionCookie else { throw Problem.unauthorized("not signed in") }
        let now = Date()
        let session: Session
        switch services.sessions.directory.session(forCookie: cookie, now: now) {
        case .failure(let error): throw Problem.unauthorized(error.description)
        case .success(let found): session = found
        }
        var summary = SessionSummary(
            subject: session.subject, org: session.org, provider: session.provider, email: session.email, name: session.name,
            groups: session.groups, expiresAt: session.expiresAt)
        if request.headers[tokenRequestHeader] != nil {
            let issuer = try services.currentIssuer()
            let lifetime = max(1, min(issuer.configuration.defaultTokenLifetime, session.expiresAt.timeIntervalSince(now)))
            let token = try issuer.issueAccessToken(
                AccessTokenRequest(
                    subject: session.subject, audiences: [issuer.defaultAudience], org: session.org, groups: session.groups,
                    kind: .user, identityProvider: session.provider, lifetime: lifetime.rounded(.down),
                    email: session.email),
                now: now)
            summary.accessToken = token.token
            summary.tokenType = "Bearer"
            summary.accessTokenExpiresAt = token.expiresAt
        }
        return try JSONResponse.make(.ok, summary, headers: [.cacheControl: "no-store", .vary: "Cookie, \(tokenRequestHeader)"])
    }

    static func logout(_ request: Request, services: AuthServices) async throws -> Response {
        try SameOriginPost.require(request, services: services, action: "sign-out")
        let returnTo = request.uri.queryParameters.get("return_to")
        var target: String?
        if let returnTo {
            guard let checked = services.returnPolicy.check(returnTo) else {
                throw Problem.badRequest("return_to must be a path on this server or a URL of an origin listed in loginReturnOrigins")
            }
            target = checked
        }
        if let cookie = request.sessionCookie, let recordID = services.sessions.directory.recordID(forCookie: cookie) {
            if let ended = try await services.sessions.end(recordID: recordID) {
                services.logger.info("signed out", metadata: ["org": "\(ended.org)", "provider": "\(ended.provider)"])
            }
        }
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers.appendCookie(SessionCookie.expiredCookie)
        guard let target else { return Response(status: .noContent, headers: headers) }
        headers[.location] = target
        return Response(status: .seeOther, headers: headers)
    }
}
