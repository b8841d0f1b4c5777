import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /auth/token` (RFC 6749 §3.2): form-encoded requests, JSON answers, `no-store`.
///
/// Grants: `urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1) — a service account's
/// assertion, signed with one of its registered keys, for a Gatehouse access token;
/// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628) and `refresh_token` (RFC 6749 §6),
/// for people signed in through `gatehouse login` (`TokenEndpoint+UserGrants`).
enum TokenEndpoint {
    static let jwtBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    static let maximumBodyBytes = 64 * 1024
    static let maximumScopes = 64

    static func register<Context: RequestContext>(on router: Router<Context>, services: AuthServices) {
        router.oauthPost("/auth/token") { request in try await token(request, services: services) }
    }

    static func token(_ request: Request, services: AuthServices) async throws -> Response {
        let form = try await readForm(request)
        let issuer: TokenIssuer
        do {
            issuer = try services.currentIssuer()
        } catch {
            throw OAuthError(code: "temporarily_unavailable", description: "the token issuer is starting")
        }
        switch form["grant_type"] {
        case jwtBearer?:
            return try await serviceAccountToken(form, issuer: issuer, services: services)
        case DeviceRoutes.grantType?:
            return try await deviceToken(form, issuer: issuer, services: services)
        case refreshTokenGrant?:
            return try await refreshedToken(form, issuer: issuer, services: services)
        case nil:
            throw OAuthError.invalidRequest("grant_type is missing")
        case let other?:
            throw OAuthError.unsupportedGrantType("grant_type '\(LogSafe.fragment(other))' is not supported")
        }
    }

    /// RFC 7523: the assertion names the account (`iss` = `sub` = `{org}/{name}`); its
    /// registered keys verify it; `aud` is this endpoint; `exp` at most an hour ahead; `jti`
    /// required and accepted once.
    static func serviceAccountToken(_ form: [String: String], issuer: TokenIssuer, services: AuthServices) async throws -> Response {
        guard let assertion = form["assertion"], !assertion.isEmpty else { throw OAuthError.invalidRequest("assertion is missing") }
        let scopes = try requestedScopes(form)
        let account: ServiceAccountID
        switch ServiceAccountAssertionVerifier.claimedServiceAccount(in: assertion) {
        case .failure(let error): throw OAuthError.invalidGrant(error.description)
        case .success(let claimed): account = claimed
        }
        let stored = try await services.store.read { try $0.resource(ServiceAccount.self, org: account.org, name: account.name) }
        // An unknown account and a bad signature read alike: the endpoint does not tell which
        // accounts exist.
        guard let stored else { throw OAuthError.invalidGrant("the assertion is refused: the signature does not verify") }
        let keys = stored.publicKeys.compactMap { try? RegisteredPublicKey.parse(pem: $0.pem) }
        let verifier = ServiceAccountAssertionVerifier(
            tokenEndpoint: issuer.endpoints.token, replayCache: services.assertionReplays, requiresTokenID: true)
        let verified: VerifiedAssertion
        switch await verifier.verify(assertion, from: account, keys: keys) {
        case .failure(.noUsableKey), .failure(.wrongServiceAccount):
            throw OAuthError.invalidGrant("the assertion is refused: the signature does not verify")
        case .failure(let error):
            services.logger.notice("assertion refused", metadata: ["account": "\(account)", "reason": "\(error)"])
            throw OAuthError.invalidGrant(error.description)
        case .success(let assertion):
            verified = assertion
        }
        let token = try issue(
            AccessTokenRequest(
                subject: account.description, audiences: [issuer.defaultAudience], org: account.org, scopes: scopes,
                kind: .serviceAccount, identityProvider: IdentityProvider.reservedName),
            issuer: issuer)
        services.logger.info(
            "token issued", metadata: ["account": "\(account)", "jti": "\(token.tokenID)", "key": "\(verified.keyFingerprint)"])
        return try tokenResponse(token, scopes: scopes)
    }

    static func issue(_ request: AccessTokenRequest, issuer: TokenIssuer) throws -> IssuedAccessToken {
        do {
            return try issuer.issueAccessToken(request)
        } catch {
            throw OAuthError.serverError("the token could not be issued")
        }
    }

    struct TokenResponse: Encodable {
        var access_token: String
        var token_type = "Bearer"
        var expires_in: Int
        var scope: String?
        var refresh_token: String?
    }

    static func tokenResponse(_ token: IssuedAccessToken, scopes: [String], refreshToken: String? = nil) throws -> Response {
        let body = TokenResponse(
            access_token: token.token, expires_in: Int(token.expiresAt.timeIntervalSince(token.issuedAt)),
            scope: scopes.isEmpty ? nil : scopes.joined(separator: " "), refresh_token: refreshToken)
        return try JSONResponse.make(.ok, body, headers: [.cacheControl: "no-store", HTTPField.Name("Pragma")!: "no-cache"])
    }

    /// `scope` (RFC 6749 §3.3): space-separated tokens of printable ASCII but `"` and `\`.
    static func requestedScopes(_ form: [String: String]) throws -> [String] {
        guard let scope = form["scope"] else { return [] }
        let scopes = scope.split(separator: " ").map(String.init)
        guard scopes.count <= maximumScopes,
            scopes.allSatisfy({ $0.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != 0x22 && $0 != 0x5C } })
        else {
            throw OAuthError.invalidScope("scope must be at most \(maximumScopes) space-separated scope tokens")
        }
        return Array(NSOrderedSet(array: scopes)) as? [String] ?? scopes
    }

    /// The form body: `application/x-www-form-urlencoded`, bounded, each parameter once
    /// (RFC 6749 §3.2: parameters sent twice are an error).
    static func readForm(_ request: Request) async throws -> [String: String] {
        let type = request.headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard type == "application/x-www-form-urlencoded" else {
            throw OAuthError.invalidRequest("the body must be application/x-www-form-urlencoded")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            throw OAuthError.invalidRequest("the body is larger than \(maximumBodyBytes) bytes")
        }
        guard let pairs = FormEncoding.decode(String(buffer: buffer)) else {
            throw OAuthError.invalidRequest("the body is not valid form encoding")
        }
        var form: [String: String] = [:]
        for (name, value) in pairs {
            guard form[name] == nil else { throw OAuthError.invalidRequest("'\(LogSafe.fragment(name))' is given more than once") }
            form[name] = value
        }
        return form
    }
}
