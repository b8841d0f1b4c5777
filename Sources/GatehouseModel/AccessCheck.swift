/// `POST /v1/orgs/{org}/access-checks`: "may these subjects (or, without them, the caller) do
/// `action` on `resource` in the org?", and the answer with the rule that decided.
public struct AccessCheck: Codable, Sendable, Equatable {
    public var subjects: [String]?
    public var resource: String
    public var action: String

    public init(subjects: [String]? = nil, resource: String, action: String) {
        self.subjects = subjects
        self.resource = resource
        self.action = action
    }
}

public struct AccessDecision: Codable, Sendable, Equatable {
    public var allowed: Bool
    /// The binding and permission that allowed it, or why nothing did.
    public var rule: String
    /// The subjects the decision was made for (the caller's own when none were given).
    public var subjects: [String]

    public init(allowed: Bool, rule: String, subjects: [String]) {
        self.allowed = allowed
        self.rule = rule
        self.subjects = subjects
    }
}
