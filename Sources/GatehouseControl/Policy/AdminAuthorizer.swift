import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import GatehouseStore
import Logging

/// Role-based access to the admin API: a principal of an org may do what the roles its
/// subjects are bound to in the org's policies grant, and nothing else. Nothing is granted by
/// default: an org's principals act only once a policy binds them (the platform admin, who is
/// outside RBAC, writes the first one).
///
/// The org's policies are read and compiled per request. The admin API is not the request
/// path; reading a few documents keeps every decision current with no cache to invalidate.
struct AdminAuthorizer: Sendable {
    let store: any Store
    let catalog: RoleCatalog

    /// The org's policies as one authorizer. A stored policy that no longer compiles (a
    /// built-in role it binds was removed from `--policies-dir`) grants nothing.
    func orgPolicy(_ org: String) async throws -> OrgPolicy {
        let catalog = self.catalog
        let stored = try await store.read { try $0.resources(Policy.self, org: org, after: nil, limit: nil) }
        var skipped: [String] = []
        return OrgPolicy(org: org, documents: stored, catalog: catalog, skipped: &skipped)
    }

    /// Whether `subjects` may do `action` on `resource` in `org`, and the rule that decided.
    func decide(subjects: Set<String>, org: String, resource: String, action: String) async throws -> Authorizer.Decision {
        try await orgPolicy(org).authorizer.decide(subjects: subjects, resource: resource, action: action)
    }

    /// Throws the 403 for an operation the principal's roles do not grant. A PUT that creates
    /// needs `create` as well as `update`.
    func authorize(_ principal: Principal, _ operation: AdminOperation) async throws {
        let policy = try await orgPolicy(operation.org)
        let subjects = principal.policySubjects
        var actions = [operation.action]
        if let key = operation.createsIfAbsent, try await store.read({ try $0.document(key) }) == nil {
            actions.append("create")
        }
        for action in actions {
            let decision = policy.authorizer.decide(subjects: subjects, resource: operation.resource, action: action)
            guard decision.allowed else {
                throw ChallengedProblem.forbidden(
                    "\(operation.resource):\(action) in org '\(operation.org)' is not granted: \(decision.rule)")
            }
        }
    }
}
