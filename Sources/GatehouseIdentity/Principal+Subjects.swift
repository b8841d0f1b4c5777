/// The names by which policies bind roles to a principal (`GatehousePolicy.RoleBinding`).
extension Principal {
    /// `user:<subject>` (and `user:<email>` when known), `service-account:<name>`,
    /// `api-key:<name>`, and one per group: `group:<name>`, or the group itself when a GitHub
    /// login already wrote it as `github-org:<org>` / `github-team:<org>/<team>`. None for the
    /// platform admin, whom no org policy governs.
    public var policySubjects: Set<String> {
        var subjects: Set<String> = []
        switch kind {
        case .platformAdmin:
            return []
        case .user:
            subjects.insert("user:\(subject)")
            if let email, !email.isEmpty {
                subjects.insert("user:\(email)")
                subjects.insert("user:\(email.lowercased())")
            }
        case .serviceAccount:
            // Gatehouse's tokens name a service account `{org}/{name}`; bindings name it within the org.
            let name = org.flatMap { subject.hasPrefix("\($0)/") ? String(subject.dropFirst($0.count + 1)) : nil }
            subjects.insert("service-account:\(name ?? subject)")
        case .apiKey:
            subjects.insert("api-key:\(subject)")
        }
        for group in groups {
            subjects.insert(group.hasPrefix("github-org:") || group.hasPrefix("github-team:") ? group : "group:\(group)")
        }
        return subjects
    }
}

extension Principal {
    /// The one name a run record gives its caller: the principal's own policy subject
    /// (`user:<subject>`, `service-account:<name>`, `api-key:<name>`), or `platform-admin`.
    public var callerSubject: String {
        switch kind {
        case .platformAdmin: "platform-admin"
        case .user: "user:\(subject)"
        default: policySubjects.first { $0.hasPrefix(kind.rawValue + ":") } ?? "\(kind.rawValue):\(subject)"
        }
    }
}
