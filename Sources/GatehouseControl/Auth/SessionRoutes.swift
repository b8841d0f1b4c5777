import Foundation
import GatehouseIdentity
import GatehouseModel
import HTTPTypes
import Hummingbird

/// The signed-in browser's view of its session, and signing out.
///
///     GET  /auth/session   → who is signed in (+ a Gatehouse access token, see below)
///     POST /auth/logout    → ends the session server-side (and the Gatehouse tokens minted
///                            from it, which name it in `sid`), expires the cookie
///     POST /auth/logout?provider_logout=true&return_to=...
///                          → the same, then 303 to the provider's `end_session_endpoint`
///                            (RP-Initiated Logout), which sends the browser on to return_to
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

    /// The query parameter asking logout to end the session at the provider too.
    static let providerLogoutParameter = "provider_logout"

    static func register<Context: RequestContext>(on router: Router<Context>, services: AuthServices) {
        SignedInPage.register(on: router, services: services)
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
                    email: session.email, sessionID: session.recordID),
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
        var ended: Session?
        if let cookie = request.sessionCookie, let recordID = services.sessions.directory.recordID(forCookie: cookie) {
            ended = try await services.sessions.end(recordID: recordID)
            if let ended {
                services.logger.info("signed out", metadata: ["org": "\(ended.org)", "provider": "\(ended.provider)"])
            }
        }
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers.appendCookie(SessionCookie.expiredCookie)
        if request.uri.queryParameters.get(providerLogoutParameter) == "true", let ended {
            let issuer = try services.currentIssuer()
            let back = target ?? SignedInPage.path
            let absolute = back.hasPrefix("/") ? issuer.issuer + back : back
            if let provider = try? await services.providers.provider(org: ended.org, name: ended.provider),
                let endSession = await provider.endSessionURL(postLogoutRedirectURI: absolute)
            {
                headers[.location] = endSession
                return Response(status: .seeOther, headers: headers)
            }
        }
        guard let target else { return Response(status: .noContent, headers: headers) }
        headers[.location] = target
        return Response(status: .seeOther, headers: headers)
    }
}
