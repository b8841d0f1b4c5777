import GatehouseIdentity
import GatehouseModel

/// What an authenticated principal may reach in the admin API. The platform admin reaches
/// everything; any other principal (a user, a service account, an API key) belongs to one org
/// and manages that org: `/v1/orgs/{its org}` and everything below it. It may list orgs (it sees
/// only its own) but not create or delete them.
///
/// Within its org, what a principal may do is RBAC's (`AdminAuthorizer`): the roles the org's
/// policies bind to it. Outside any org (`/v1/signing-keys`) only the platform admin acts.
enum AdminAccess {
    /// The org a `/v1/orgs/{org}/...` path names, nil for any other path.
    static func org(inPath path: String) -> String? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 4, parts[1] == "v1", parts[2] == "orgs", !parts[3].isEmpty else { return nil }
        return String(parts[3])
    }

    /// Throws the 403 for a principal that may not make this request.
    static func check(_ principal: Principal, method: String, path: String) throws(ChallengedProblem) {
        guard principal.kind != .platformAdmin else { return }
        guard let own = principal.org else { throw .forbidden("this credential belongs to no org") }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        let isOrgs = parts.count >= 3 && parts[1] == "v1" && parts[2] == "orgs"
        guard isOrgs else { throw .forbidden("only the platform admin manages Gatehouse itself") }
        guard let org = org(inPath: path) else {
            // The collection: listing is scoped by the handler; creating is the platform's.
            guard method == "GET" || method == "HEAD" else { throw .forbidden("only the platform admin creates orgs") }
            return
        }
        guard org == own else { throw .forbidden("this credential is for org '\(own)', not '\(LogSafe.fragment(org))'") }
        if parts.count == 4, method == "DELETE" { throw .forbidden("only the platform admin deletes orgs") }
    }
}
