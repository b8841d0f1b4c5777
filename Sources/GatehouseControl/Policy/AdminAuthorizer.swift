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
        compile(try await store.read { try $0.resources(Policy.self, org: org, after: nil, limit: nil) }, org: org)
    }

    private func compile(_ documents: [Policy], org: String) -> OrgPolicy {
        var skipped: [String] = []
        return OrgPolicy(org: org, documents: documents, catalog: catalog, skipped: &skipped)
    }

    /// Whether `subjects` may do `action` on `resource` in `org`, and the rule that decided.
    func decide(subjects: Set<String>, org: String, resource: String, action: String) async throws -> Authorizer.Decision {
        try await orgPolicy(org).authorizer.decide(subjects: subjects, resource: resource, action: action)
    }

    /// Throws the 403 for an operation the principal's roles do not grant. A PUT that creates
    /// needs `create` as well as `update`.
    func authorize(_ principal: Principal, _ operation: AdminOperation) async throws {
        // One read: the org's policies, and whether a PUT's resource exists yet.
        let (documents, creates) = try await store.read { reader in
            let documents = try reader.resources(Policy.self, org: operation.org, after: nil, limit: nil)
            return (documents, try operation.createsIfAbsent.map { try reader.document($0) == nil } ?? false)
        }
        let policy = compile(documents, org: operation.org)
        let subjects = principal.policySubjects
        let actions = creates ? [operation.action, "create"] : [operation.action]
        for action in actions {
            let decision = policy.authorizer.decide(subjects: subjects, resource: operation.resource, action: action)
            guard decision.allowed else {
                throw ChallengedProblem.forbidden(
                    "\(operation.resource):\(action) in org '\(operation.org)' is not granted: \(decision.rule)")
            }
        }
    }
}
