/// Decides "may this caller do this action on this kind of resource" from roles and bindings:
/// allowed when some binding naming one of the caller's subjects gives a role with a covering
/// permission. Nothing is allowed by default. Every decision says which rule decided, for the
/// dry-run endpoint and for error messages.
public struct Authorizer: Sendable {
    public struct Decision: Sendable, Equatable {
        public let allowed: Bool
        /// `role developer (functions:*) bound to group:eng in policy acme/default, bindings[0]`,
        /// or why nothing allowed it.
        public let rule: String
    }

    private let roles: [String: Role]
    private let bindings: [RoleBinding]

    /// `roles` by name; a binding naming an unknown role grants nothing (and is reported by
    /// whoever validated the policy).
    public init(roles: [Role], bindings: [RoleBinding]) {
        self.roles = Dictionary(roles.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.bindings = bindings
    }

    public func decide(subjects: Set<String>, resource: String, action: String) -> Decision {
        for binding in bindings {
            guard let subject = binding.subjects.first(where: subjects.contains), let role = roles[binding.role] else { continue }
            if let permission = role.grant(resource: resource, action: action) {
                return Decision(
                    allowed: true,
                    rule: "role \(role.name) (\(permission)) bound to \(subject) in \(binding.source)")
            }
        }
        return Decision(allowed: false, rule: "no role bound to this caller grants \(resource):\(action)")
    }
}
