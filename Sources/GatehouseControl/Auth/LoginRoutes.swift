import Foundation
import GatehouseIdentity
import GatehouseModel
import Hummingbird

/// Browser login through an org's identity provider:
///
///     GET /auth/{org}/{provider}/login?return_to=...   → 303 to the provider
///     GET /auth/{org}/{provider}/callback?code&state[&iss]  → session cookie, 303 to return_to
///                                                        (without one: the signed-in page)
///
/// `state` names the pending login (single use, ten minutes), which holds the PKCE verifier
/// and the nonce server-side; the browser-binding cookie proves the callback comes from the
/// browser that started the login. Errors are problems; nothing secret is logged.
enum LoginRoutes {
    static func register<Context: RequestContext>(on router: Router<Context>, services: AuthServices) {
        router.get("/auth/:org/:provider/login") { request, context in
            try await start(request, org: context.parameters.get("org") ?? "", name: context.parameters.get("provider") ?? "", services: services)
        }
        router.get("/auth/:org/:provider/callback") { request, context in
            try await callback(
                request, org: context.parameters.get("org") ?? "", name: context.parameters.get("provider") ?? "", services: services)
        }
    }

    static func redirectURI(issuer: TokenIssuer, org: String, provider: String) -> String {
        "\(issuer.issuer)/auth/\(org)/\(provider)/callback"
    }

    /// Starts a login. Also the device flow's way in (`deviceUserCode`).
    static func start(
        _ request: Request, org: String, name: String, services: AuthServices, deviceUserCode: String? = nil,
        returnTo override: String? = nil, loginHint hintOverride: String? = nil
    ) async throws -> Response {
        let query = request.uri.queryParameters
        guard let returnTo = override ?? services.returnPolicy.check(query.get("return_to")) else {
            throw Problem.badRequest(
                "return_to must be a path on this server (/...) or a URL of an origin listed in loginReturnOrigins")
        }
        let issuer = try services.currentIssuer()
        let provider = try await services.providers.provider(org: org, name: name)
        let binding = LoginBindingCookie.value(in: request) ?? RandomToken.make()
        let now = Date()
        let pkce = PKCE.generate()
        let nonce = RandomToken.make()
        let redirectURI = redirectURI(issuer: issuer, org: org, provider: name)
        let pending = PendingLogin(
            org: org, provider: name, redirectURI: redirectURI, pkce: pkce, nonce: nonce, returnTo: returnTo,
            browserBinding: CredentialHash.of(binding), deviceUserCode: deviceUserCode,
            expiresAt: now.addingTimeInterval(services.pending.lifetime))
        guard let state = services.pending.add(pending, now: now) else {
            throw Problem.unavailable("too many logins are in progress; try again in a few minutes")
        }
        let hint = (hintOverride ?? query.get("login_hint")).flatMap { $0.isEmpty || $0.utf8.count > 256 ? nil : $0 }
        let target: String
        do throws(LoginError) {
            target = try await provider.authorizationURL(
                for: AuthorizationRequest(
                    redirectURI: redirectURI, state: state, nonce: nonce, codeChallenge: pkce.challenge, loginHint: hint))
        } catch {
            throw Problem.badGateway(error.description)
        }
        var headers: HTTPFields = [.location: target, .cacheControl: "no-store"]
        headers.appendCookie(LoginBindingCookie.setCookie(binding, maxAge: services.pending.lifetime))
        return Response(status: .seeOther, headers: headers)
    }

    static func callback(_ request: Request, org: String, name: String, services: AuthServices) async throws -> Response {
        let query = request.uri.queryParameters
        guard let state = query.get("state"), !state.isEmpty else {
            throw Problem.badRequest("the callback has no state; start the login again")
        }
        let now = Date()
        // Taken before anything else is checked: whatever happens next, this state is spent.
        guard let pending = services.pending.take(state: state, now: now), pending.org == org, pending.provider == name else {
            throw Problem.badRequest("the login's state is unknown, used or expired; start the login again")
        }
        guard let binding = LoginBindingCookie.value(in: request),
            ConstantTime.equal(Array(CredentialHash.of(binding).utf8), Array(pending.browserBinding.utf8))
        else {
            throw Problem.badRequest("the login was started in another browser; start it again here")
        }
        if let error = query.get("error") {
            services.logger.info("login refused by the provider", metadata: ["org": "\(org)", "provider": "\(name)"])
            if let userCode = pending.deviceUserCode { services.devices.decide(userCode: userCode, .denied, now: now) }
            throw Problem.unauthorized("the identity provider refused the login (\(LogSafe.fragment(error)))")
        }
        guard let code = query.get("code"), !code.isEmpty else {
            throw Problem.badRequest("the callback has no code")
        }
        let provider = try await services.providers.provider(org: org, name: name)
        let identity: LoginIdentity
        do throws(LoginError) {
            identity = try await provider.complete(
                AuthorizationCallback(
                    code: code, redirectURI: pending.redirectURI, codeVerifier: pending.pkce.verifier, nonce: pending.nonce,
                    issuer: query.get("iss")))
        } catch {
            services.logger.notice(
                "login failed", metadata: ["org": "\(org)", "provider": "\(name)", "reason": "\(error)"])
            if let userCode = pending.deviceUserCode { services.devices.decide(userCode: userCode, .denied, now: now) }
            switch error {
            case _ where error.isProviderFailure: throw Problem.badGateway(error.description)
            case .notAllowed: throw Problem.forbidden(error.description)
            default: throw Problem.unauthorized(error.description)
            }
        }
        if let userCode = pending.deviceUserCode {
            return try approveDevice(userCode: userCode, identity: identity, org: org, provider: name, services: services, now: now)
        }
        let (session, cookie) = try await services.sessions.create(org: org, provider: name, identity: identity, now: now)
        services.logger.info("signed in", metadata: ["org": "\(org)", "provider": "\(name)"])
        var headers: HTTPFields = [.cacheControl: "no-store"]
        headers.appendCookie(SessionCookie.setCookie(value: cookie, maxAge: session.expiresAt.timeIntervalSince(now)))
        headers.appendCookie(LoginBindingCookie.expired)
        headers[.location] = pending.returnTo
        return Response(status: .seeOther, headers: headers)
    }

    /// A login started from the device page approves that device; the browser gets no session
    /// (it is not the device), only the page saying the device is signed in.
    static func approveDevice(
        userCode: String, identity: LoginIdentity, org: String, provider: String, services: AuthServices, now: Date
    ) throws -> Response {
        guard services.devices.decide(userCode: userCode, .approved(identity, provider: provider), now: now) else {
            throw Problem.badRequest("the device code has expired; start again on your device")
        }
        services.logger.info("device approved", metadata: ["org": "\(org)", "provider": "\(provider)"])
        var response = DevicePages.approved()
        response.headers.appendCookie(LoginBindingCookie.expired)
        return response
    }
}
