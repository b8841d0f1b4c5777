import GatehouseModel
import Hummingbird

/// Refuses request paths that the router and the authorization checks could read differently:
/// an empty segment (`//v1/orgs`, `/v1/orgs//acme`) or a dot segment (`/v1/./orgs`).
///
/// Hummingbird's router skips empty segments, so `//v1/orgs/acme/secrets` reached the secrets
/// handler while the authentication middleware, seeing no `/v1/` prefix, let it through without
/// a credential, and `/v1/orgs//acme` passed the org check as the org collection. Every check
/// that reads the path (`AdminAuthMiddleware`, `AdminAccess`, `AdminOperation`) can rely on one
/// spelling because no other reaches them. (A single trailing slash is harmless: every reader
/// drops it the same way.)
struct CanonicalPathMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let reason = Self.problem(with: request.uri.path) { throw Problem.badRequest(reason) }
        return try await next(request, context)
    }

    /// Why `path` is refused; nil for a canonical path.
    static func problem(with path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            if segment.isEmpty, index < segments.count - 1 {
                return "the path has an empty segment ('//'); send each segment once"
            }
            if segment == "." || segment == ".." { return "the path has a '.' or '..' segment; send the path it stands for" }
        }
        return nil
    }
}
