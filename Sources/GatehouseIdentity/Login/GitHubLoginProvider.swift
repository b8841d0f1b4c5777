import AsyncHTTPClient
import Foundation
import GatehouseModel

/// Login with GitHub (or GitHub Enterprise Server) through an OAuth app: authorize at
/// `{webUrl}/login/oauth/authorize` (with PKCE and `state`; GitHub has no ID token, so no
/// nonce), exchange the code at `{webUrl}/login/oauth/access_token`, then read who the user is
/// from the REST API (`/user`, `/user/emails`, `/user/orgs`, `/user/teams`, every page).
///
/// `allowedOrganizations` / `allowedTeams` are enforced here: a user in none of them cannot
/// sign in. Groups are `github-org:<org>` and `github-team:<org>/<team-slug>`.
public struct GitHubLoginProvider: LoginProvider {
    /// Read-only: profile, email addresses, and org and team memberships.
    static let scopes = ["read:user", "user:email", "read:org"]
    /// Pages of 100 followed at most: 2,000 orgs or teams, then the rest is ignored.
    static let maximumPages = 20

    let github: IdentityProvider.GitHub
    let clientSecret: String?
    private let http: ProviderHTTP

    public init(github: IdentityProvider.GitHub, clientSecret: String?, client: HTTPClient) {
        self.github = github
        self.clientSecret = clientSecret
        self.http = ProviderHTTP(client: client)
    }

    public func authorizationURL(for request: AuthorizationRequest) async throws(LoginError) -> String {
        var query: [(String, String)] = [
            ("client_id", github.clientId), ("redirect_uri", request.redirectURI),
            ("scope", Self.scopes.joined(separator: " ")), ("state", request.state),
            ("code_challenge", request.codeChallenge), ("code_challenge_method", PKCE.method),
            ("allow_signup", "false"),
        ]
        if let hint = request.loginHint { query.append(("login", hint)) }
        return ProviderURLPath.join(github.effectiveWebUrl, "login/oauth/authorize") + "?" + FormEncoding.encode(query)
    }

    public func complete(_ callback: AuthorizationCallback) async throws(LoginError) -> LoginIdentity {
        guard let clientSecret else { throw .notConfigured("the GitHub OAuth app has no client secret") }
        let accessToken = try await exchange(callback, clientSecret: clientSecret)
        return try await identity(forAccessToken: accessToken, readingEmails: true)
    }

    /// The holder of a GitHub token presented to the edge as a bearer token.
    ///
    /// The token must be one this OAuth app issued — GitHub's "check a token" API
    /// (`POST /applications/{client_id}/token`, authenticated as the app) says so — and not just
    /// any token of the user: a personal access token, or one another app obtained, was never
    /// meant to open this org's routes. Then the user's organizations and teams are read with it.
    public func bearerIdentity(_ token: String) async throws(LoginError) -> LoginIdentity {
        guard let clientSecret else { throw .notConfigured("the GitHub OAuth app has no client secret") }
        let url = ProviderURLPath.join(github.effectiveBaseUrl, "applications/\(github.clientId)/token")
        let basic = Data("\(github.clientId):\(clientSecret)".utf8).base64EncodedString()
        let body = (try? JSONSerialization.data(withJSONObject: ["access_token": token])) ?? Data()
        let reply: ProviderHTTP.Reply
        do {
            reply = try await http.postJSON(
                url, body,
                headers: [
                    ("Authorization", "Basic \(basic)"), ("Accept", "application/vnd.github+json"),
                    ("X-GitHub-Api-Version", "2022-11-28"),
                ])
        } catch {
            throw error.loginError
        }
        switch reply.status {
        case 200: break
        // 404: not a valid token of this app; 422: not a token at all.
        case 404, 422: throw .notAllowed("the GitHub token is not valid, or was not issued to this identity provider's OAuth app")
        default: throw .providerUnavailable("\(url) answered HTTP \(reply.status)")
        }
        return try await identity(forAccessToken: token, readingEmails: false)
    }

    /// Who holds `accessToken`, read from the REST API, if this provider admits them. Also how
    /// the edge checks a GitHub token presented as a bearer token (`acceptBearerTokens`): such a
    /// token may lack `user:email`, so the edge does not read the email addresses.
    public func identity(forAccessToken accessToken: String, readingEmails: Bool) async throws(LoginError) -> LoginIdentity {
        let auth = [("Authorization", "Bearer \(accessToken)"), ("X-GitHub-Api-Version", "2022-11-28")]
        let user: User = try await getJSON("user", headers: auth)
        let emails: [Email] = readingEmails ? try await getJSON("user/emails", headers: auth) : []
        let orgs: [Org] = try await getPages("user/orgs", headers: auth)
        let teams: [Team] = try await getPages("user/teams", headers: auth)

        let orgLogins = orgs.map { $0.login.lowercased() }
        let teamNames = teams.map { "\($0.organization.login)/\($0.slug)".lowercased() }
        try checkAllowed(orgs: orgLogins, teams: teamNames, login: user.login)
        let email = emails.first(where: { $0.primary && $0.verified })?.email ?? user.email
        return LoginIdentity(
            subject: String(user.id), email: email, name: user.name ?? user.login,
            groups: orgLogins.map { "github-org:\($0)" } + teamNames.map { "github-team:\($0)" })
    }

    /// With neither list, any GitHub user may sign in; otherwise membership of one listed
    /// organization or team is required. GitHub names are case-insensitive.
    func checkAllowed(orgs: [String], teams: [String], login: String) throws(LoginError) {
        let allowedOrgs = Set((github.allowedOrganizations ?? []).map { $0.lowercased() })
        let allowedTeams = Set((github.allowedTeams ?? []).map { $0.lowercased() })
        guard !allowedOrgs.isEmpty || !allowedTeams.isEmpty else { return }
        if orgs.contains(where: allowedOrgs.contains) || teams.contains(where: allowedTeams.contains) { return }
        throw .notAllowed(
            "GitHub user '\(LogSafe.fragment(login))' is not a member of an organization or team this identity provider allows")
    }

    private func exchange(_ callback: AuthorizationCallback, clientSecret: String) async throws(LoginError) -> String {
        let url = ProviderURLPath.join(github.effectiveWebUrl, "login/oauth/access_token")
        let reply: ProviderHTTP.Reply
        do {
            reply = try await http.postForm(
                url,
                [
                    ("client_id", github.clientId), ("client_secret", clientSecret), ("code", callback.code),
                    ("redirect_uri", callback.redirectURI), ("code_verifier", callback.codeVerifier),
                ])
        } catch {
            throw error.loginError
        }
        // GitHub answers errors with 200 and an `error` member.
        guard reply.status == 200, let document = reply.json else {
            throw .providerUnavailable("\(url) answered HTTP \(reply.status)")
        }
        if let error = document["error"]?.stringValue { throw .exchangeRefused(error: error) }
        guard let token = document["access_token"]?.stringValue, !token.isEmpty else { throw .missingClaim("access_token") }
        return token
    }

    private func getJSON<T: Decodable>(_ path: String, headers: [(String, String)]) async throws(LoginError) -> T {
        try await get(ProviderURLPath.join(github.effectiveBaseUrl, path), headers: headers).value
    }

    /// Every page, following `Link: <...>; rel="next"`.
    private func getPages<T: Decodable>(_ path: String, headers: [(String, String)]) async throws(LoginError) -> [T] {
        var url: String? = ProviderURLPath.join(github.effectiveBaseUrl, path) + "?per_page=100"
        var all: [T] = []
        var pages = 0
        while let next = url, pages < Self.maximumPages {
            let (page, link): ([T], String?) = try await get(next, headers: headers)
            all += page
            // The user's token goes wherever the link points: only ever to the API itself.
            url = link.flatMap(Self.nextLink).flatMap { $0.hasPrefix(ProviderURL.trimmed(github.effectiveBaseUrl) + "/") ? $0 : nil }
            pages += 1
        }
        return all
    }

    private func get<T: Decodable>(_ url: String, headers: [(String, String)]) async throws(LoginError) -> (value: T, link: String?) {
        let reply: ProviderHTTP.Reply
        do {
            reply = try await http.get(url, headers: headers + [("Accept", "application/vnd.github+json")])
        } catch {
            throw error.loginError
        }
        guard reply.status == 200 else { throw .providerUnavailable("\(Self.withoutQuery(url)) answered HTTP \(reply.status)") }
        guard let value = try? JSONDecoder().decode(T.self, from: reply.body) else {
            throw .providerUnavailable("\(Self.withoutQuery(url)) answered an unexpected document")
        }
        return (value, reply.headers.first(name: "Link"))
    }

    /// The `rel="next"` target of a `Link` header (RFC 8288), or nil.
    static func nextLink(_ header: String) -> String? {
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let target = pieces.first, target.hasPrefix("<"), target.hasSuffix(">") else { continue }
            if pieces.dropFirst().contains(where: { $0.replacingOccurrences(of: " ", with: "") == #"rel="next""# || $0 == "rel=next" }) {
                return String(target.dropFirst().dropLast())
            }
        }
        return nil
    }

    private static func withoutQuery(_ url: String) -> String {
        url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
    }

    struct User: Decodable {
        var id: Int64
        var login: String
        var name: String?
        var email: String?
    }

    struct Email: Decodable {
        var email: String
        var primary: Bool
        var verified: Bool
    }

    struct Org: Decodable { var login: String }

    struct Team: Decodable {
        var slug: String
        var organization: Org
    }
}
