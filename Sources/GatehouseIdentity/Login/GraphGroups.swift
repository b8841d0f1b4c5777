import Foundation
import NIOConcurrencyHelpers

/// Entra ID's group overage: when a user is in more groups than fit in a token, the ID token
/// says so (`_claim_names.groups`, or `hasgroups: true`) instead of listing them, and the
/// groups must be read from Microsoft Graph with the user's own access token
/// (`POST {graph}/v1.0/me/getMemberObjects`). Results are cached per user for a while, so
/// repeated logins do not each cost a Graph call.
public final class GraphGroups: Sendable {
    static let cacheLifetime: TimeInterval = 600
    static let cacheCapacity = 10_000

    let baseUrl: String
    private let http: ProviderHTTP
    private let cache = NIOLockedValueBox<[String: (groups: [String], until: Date)]>([:])

    init(baseUrl: String, http: ProviderHTTP) {
        self.baseUrl = baseUrl
        self.http = http
    }

    /// Whether a token's claims signal an overage (the login's ID token, or a bearer token at
    /// the edge).
    public static func signalsOverage(_ claims: [String: ClaimValue]) -> Bool {
        if claims["_claim_names"]?.objectValue?["groups"] != nil { return true }
        if case .bool(true)? = claims["hasgroups"] { return true }
        return false
    }

    func groups(of subject: String, accessToken: String, now: Date = Date()) async throws(LoginError) -> [String] {
        if let cached = cache.withLockedValue({ $0[subject] }), cached.until > now { return cached.groups }
        let url = ProviderURLPath.join(baseUrl, "v1.0/me/getMemberObjects")
        let reply: ProviderHTTP.Reply
        do {
            reply = try await http.postJSON(
                url, Data(#"{"securityEnabledOnly":false}"#.utf8), headers: [("Authorization", "Bearer \(accessToken)")])
        } catch {
            throw error.loginError
        }
        guard reply.status == 200, let ids = reply.json?["value"]?.stringArrayValue else {
            throw .providerUnavailable("Microsoft Graph answered HTTP \(reply.status) to getMemberObjects")
        }
        cache.withLockedValue { cache in
            if cache.count >= Self.cacheCapacity { cache = cache.filter { $0.value.until > now } }
            if cache.count < Self.cacheCapacity { cache[subject] = (ids, now.addingTimeInterval(Self.cacheLifetime)) }
        }
        return ids
    }
}
