/// `resource:action`, as roles list them: `functions:read`, `routes:*`, `*:read`, `*:*`.
public struct Permission: Sendable, Hashable, CustomStringConvertible {
    /// The resources of an org (and `orgs` itself) that permissions name.
    public static let resources: Set<String> = [
        "orgs", "functions", "routes", "secrets", "policies", "identity-providers", "service-accounts", "api-keys",
        "runs", "subscriptions", "events",
    ]
    public static let actions: Set<String> = ["create", "read", "update", "delete", "invoke"]
    static let wildcard = "*"

    public let resource: String
    public let action: String

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String { "'\(text.prefix(80))' is not a permission: \(reason)" }
    }

    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { throw ParseError(text: text, reason: "write resource:action, e.g. functions:read") }
        guard parts[0] == Self.wildcard || Self.resources.contains(parts[0]) else {
            throw ParseError(text: text, reason: "the resource must be * or one of \(Self.resources.sorted().joined(separator: ", "))")
        }
        guard parts[1] == Self.wildcard || Self.actions.contains(parts[1]) else {
            throw ParseError(text: text, reason: "the action must be * or one of \(Self.actions.sorted().joined(separator: ", "))")
        }
        resource = parts[0]
        action = parts[1]
    }

    public func covers(resource: String, action: String) -> Bool {
        (self.resource == Self.wildcard || self.resource == resource) && (self.action == Self.wildcard || self.action == action)
    }

    public var description: String { "\(resource):\(action)" }
}

/// A named set of permissions.
public struct Role: Sendable, Equatable {
    public let name: String
    public let permissions: [Permission]

    public init(name: String, permissions: [Permission]) {
        self.name = name
        self.permissions = permissions
    }

    /// The first permission that covers the request, for the decision's explanation.
    public func grant(resource: String, action: String) -> Permission? {
        permissions.first { $0.covers(resource: resource, action: action) }
    }
}

/// A role given to subjects: `user:<email or subject>`, `group:<name>`, `github-team:<org>/<team>`,
/// `github-org:<org>`, `service-account:<name>`, `api-key:<name>`.
public struct RoleBinding: Sendable, Equatable {
    public static let subjectKinds: Set<String> = [
        "user", "group", "github-team", "github-org", "service-account", "api-key",
    ]

    public let role: String
    public let subjects: Set<String>
    /// Where the binding is written (`policy acme/default, bindings[2]`), for explanations.
    public let source: String

    public init(role: String, subjects: Set<String>, source: String) {
        self.role = role
        self.subjects = subjects
        self.source = source
    }

    /// What to say of a subject that is not well formed.
    public static func notASubject(_ subject: String) -> String {
        "'\(subject.prefix(80))' is not a subject; write kind:name with kind one of \(subjectKinds.sorted().joined(separator: ", "))"
    }

    /// Whether `subject` is well formed: a known kind, a colon, a non-empty name.
    public static func isValidSubject(_ subject: String) -> Bool {
        let parts = subject.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        return parts.count == 2 && subjectKinds.contains(String(parts[0])) && !parts[1].isEmpty && parts[1].utf8.count <= 256
    }
}
