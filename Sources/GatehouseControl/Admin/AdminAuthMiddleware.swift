import Foundation
import GatehouseIdentity
import GatehouseModel
import Hummingbird

/// Every admin API call (`/v1/...`) is authenticated; only the OpenAPI document and the version
/// (with the limits a client checks before it sends) are public. The
/// principal (`AdminAuthenticator`) goes into the request context for the handlers, once
/// `AdminAccess` has checked it may reach the path and `AdminAuthorizer` that its roles grant
/// the operation.
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = AdminRequestContext
    let authenticator: AdminAuthenticator
    let authorizer: AdminAuthorizer

    static var publicPaths: Set<String> { ["/v1/openapi.json", "/v1/version"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        // By the first non-empty segment, as the router reads it (`CanonicalPathMiddleware`
        // refuses other spellings first; this holds without it too).
        let first = path.split(separator: "/").first
        guard first == "v1", !Self.publicPaths.contains(path) else {
            return try await next(request, context)
        }
        let authorizations = request.headers[values: .authorization]
        guard let authorization = authorizations.first else {
            throw ChallengedProblem.missing("this endpoint needs 'Authorization: Bearer <token>'")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard authorizations.count == 1, parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw ChallengedProblem.invalidToken("send exactly one 'Authorization: Bearer <token>'")
        }
        let bearer = parts[1].trimmingCharacters(in: .whitespaces)
        let principal = try await authenticator.principal(forBearer: bearer, pathOrg: AdminAccess.org(inPath: path))
        try AdminAccess.check(principal, method: request.method.rawValue, path: path)
        if principal.kind != .platformAdmin, let own = principal.org,
            let operation = AdminOperation(method: request.method.rawValue, path: path, ownOrg: own)
        {
            try await authorizer.authorize(principal, operation)
        }
        var context = context
        context.principal = principal
        return try await next(request, context)
    }
}
