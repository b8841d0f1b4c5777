import GatehouseModel
import GatehousePolicy
import GatehouseStore

/// Policies compile (permissions, ranges, origins) before they are stored, so the edge and the
/// authorizer never meet one that does not. Roles are the org's across its policies: a binding
/// may name a role another policy defines, so a role cannot be defined twice, and a policy
/// whose role another one binds cannot be deleted (or drop that role) while it is bound.
struct PolicyRules: ResourceRules {
    let catalog: RoleCatalog

    func checkWrite(_ policy: Policy, org: String, in store: any StoreReader) throws {
        let stored = try store.resources(Policy.self, org: org, after: nil, limit: nil)
        let others = stored.filter { $0.name != policy.name }
        let otherRoles = Self.roleNames(of: others)
        for (index, role) in (policy.roles ?? []).enumerated() where otherRoles[role.name] != nil {
            throw Problem.conflict(
                "role '\(role.name)' (roles[\(index)]) is already defined by policy '\(otherRoles[role.name]!)'",
                with: otherRoles[role.name])
        }
        let own = Set((policy.roles ?? []).map(\.name))
        do {
            _ = try CompiledPolicy(policy, org: org, catalog: catalog, orgRoleNames: own.union(otherRoles.keys))
        } catch {
            throw Problem.invalidField(error.field, "\(error.field): \(error.reason)")
        }
        // The version being replaced is in the listing already: no second read.
        if let replaced = stored.first(where: { $0.name == policy.name }) {
            let dropped = Set((replaced.roles ?? []).map(\.name)).subtracting(own)
            try Self.refuseIfBound(dropped, by: others, action: "drop")
        }
    }

    func checkDelete(_ policy: Policy, org: String, in store: any StoreReader) throws {
        let others = try store.resources(Policy.self, org: org, after: nil, limit: nil).filter { $0.name != policy.name }
        try Self.refuseIfBound(Set((policy.roles ?? []).map(\.name)), by: others, action: "delete")
    }

    /// Each role the policies define, with the policy that defines it.
    private static func roleNames(of policies: [Policy]) -> [String: String] {
        var names: [String: String] = [:]
        for policy in policies { for role in policy.roles ?? [] { names[role.name] = policy.name } }
        return names
    }

    private static func refuseIfBound(_ roles: Set<String>, by policies: [Policy], action: String) throws {
        guard !roles.isEmpty else { return }
        for policy in policies {
            if let binding = (policy.bindings ?? []).first(where: { roles.contains($0.role) }) {
                throw Problem.conflict(
                    "cannot \(action) role '\(binding.role)': policy '\(policy.name)' binds it; remove that binding first",
                    with: policy.name)
            }
        }
    }
}
