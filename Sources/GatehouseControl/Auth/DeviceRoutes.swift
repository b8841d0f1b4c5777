import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import Hummingbird

/// The device authorization grant (RFC 8628), for clients without a browser of their own — the
/// CLI's `gatehouse login`:
///
///     POST /auth/device/code   client_id, org[, provider][, scope]  → device_code, user_code, ...
///     GET  /auth/device[?user_code=...]  the form; with a code, a page naming the org and provider
///                                        the device asks for, to confirm (RFC 8628 §5.4)
///     POST /auth/device  user_code        the browser login of the org's provider, whose callback
///                                        approves the device
///     POST /auth/token  grant_type=urn:ietf:params:oauth:grant-type:device_code (TokenEndpoint)
enum DeviceRoutes {
    /// The one client that may use the grant: Gatehouse's CLI (a public client: no secret).
    static let cliClientID = "gatehouse-cli"
    static let grantType = "urn:ietf:params:oauth:grant-type:device_code"

    struct CodeResponse: Encodable {
        var device_code: String
        var user_code: String
        var verification_uri: String
        var verification_uri_complete: String
        var expires_in: Int
        var interval: Int
    }

    static func register<Context: RequestContext>(on router: Router<Context>, services: AuthServices) {
        router.oauthPost("/auth/device/code") { request in try await code(request, services: services) }
        router.get("/auth/device") { request, _ in try await page(request, services: services) }
        router.post("/auth/device") { request, _ in try await confirmed(request, services: services) }
    }

    static func code(_ request: Request, services: AuthServices) async throws -> Response {
        let form = try await TokenEndpoint.readForm(request)
        try requireCLI(form)
        guard let org = form["org"], ResourceName.isValid(org) else { throw OAuthError.invalidRequest("org is missing or not an org name") }
        let scopes = try TokenEndpoint.requestedScopes(form)
        let provider = try await loginProvider(org: org, named: form["provider"], store: services.store)
        let issuer: TokenIssuer
        do {
            issuer = try services.currentIssuer()
        } catch {
            throw OAuthError(code: "temporarily_unavailable", description: "the token issuer is starting")
        }
        guard let (deviceCode, authorization) = services.devices.start(
            clientID: cliClientID, org: org, provider: provider, scopes: scopes, now: Date())
        else {
            throw OAuthError(code: "slow_down", description: "too many device logins are in progress; try again later")
        }
        let uri = issuer.endpoints.deviceVerification
        services.logger.info("device login started", metadata: ["org": "\(org)", "provider": "\(provider)"])
        return try JSONResponse.make(
            .ok,
            CodeResponse(
                device_code: deviceCode, user_code: authorization.userCode, verification_uri: uri,
                verification_uri_complete: uri + "?" + FormEncoding.encode([("user_code", authorization.userCode)]),
                expires_in: Int(services.devices.lifetime), interval: Int(authorization.interval)),
            headers: [.cacheControl: "no-store"])
    }

    static func requireCLI(_ form: [String: String]) throws {
        guard form["client_id"] == cliClientID else {
            throw OAuthError(code: "invalid_client", description: "client_id must be \(cliClientID)")
        }
    }

    /// The provider named, or the org's only one.
    static func loginProvider(org: String, named: String?, store: any Store) async throws -> String {
        let names: [String]? = try await store.read { reader in
            guard try reader.document(.org(org)) != nil else { return nil }
            return try reader.resources(IdentityProvider.self, org: org, after: nil, limit: nil).map(\.name)
        }
        guard let names else { throw OAuthError.invalidRequest("org '\(org)' does not exist") }
        if let named {
            guard names.contains(named) else {
                throw OAuthError.invalidRequest("identity provider '\(LogSafe.fragment(named))' does not exist in org '\(org)'")
            }
            return named
        }
        guard names.count == 1 else {
            throw OAuthError.invalidRequest(
                names.isEmpty
                    ? "org '\(org)' has no identity provider to sign in with"
                    : "org '\(org)' has several identity providers; name one with provider (\(names.joined(separator: ", ")))")
        }
        return names[0]
    }

    /// The form, or — with a code — what the device asks for, to be confirmed. A link with a
    /// code may come from anyone (remote phishing: "open this link to claim your prize"), so
    /// the person sees the org and provider and must press the button themselves.
    static func page(_ request: Request, services: AuthServices) async throws -> Response {
        guard let typed = request.uri.queryParameters.get("user_code"), !typed.isEmpty else { return DevicePages.form() }
        let authorization = try pending(typed, services: services)
        return DevicePages.confirm(
            userCode: authorization.userCode, org: authorization.org, provider: authorization.provider,
            loginHint: request.uri.queryParameters.get("login_hint"))
    }

    /// The person confirmed on Gatehouse's own page: the login that approves the device.
    static func confirmed(_ request: Request, services: AuthServices) async throws -> Response {
        try SameOriginPost.require(request, services: services, action: "approving a device")
        let form: [String: String]
        do {
            form = try await TokenEndpoint.readForm(request)
        } catch let error as OAuthError {
            // A page's form post, not an OAuth client: its errors are problems like the page's.
            throw error.status == .unsupportedMediaType
                ? Problem.unsupportedMediaType(error.description) : Problem.badRequest(error.description)
        }
        let authorization = try pending(form["user_code"] ?? "", services: services)
        return try await LoginRoutes.start(
            request, org: authorization.org, name: authorization.provider, services: services,
            deviceUserCode: authorization.userCode, returnTo: "/auth/device", loginHint: form["login_hint"])
    }

    private static func pending(_ typed: String, services: AuthServices) throws -> DeviceAuthorization {
        guard !typed.isEmpty, let authorization = services.devices.pending(userCode: typed, now: Date()) else {
            throw Problem.badRequest("the code is unknown or has expired; start again on your device")
        }
        return authorization
    }
}
