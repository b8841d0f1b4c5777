import Foundation
import GatehouseIdentity
import GatehouseModel
import Hummingbird

/// Every admin API call (`/v1/...`) is authenticated; only the OpenAPI document is public.
struct AdminAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let verifier: AdminTokenVerifier

    static var publicPaths: Set<String> { ["/v1/openapi.json"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/v1/") || path == "/v1", !Self.publicPaths.contains(path) else {
            return try await next(request, context)
        }
        guard let authorization = request.headers[.authorization] else {
            throw Problem.unauthorized("this endpoint needs 'Authorization: Bearer <token>'")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            verifier.principal(forBearer: String(parts[1]).trimmingCharacters(in: .whitespaces)) != nil
        else {
            throw Problem.unauthorized("the bearer token is not valid")
        }
        return try await next(request, context)
    }
}
