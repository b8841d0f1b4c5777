import Foundation

/// An org's policy (the `policies` resource): who may do what (roles of its own and bindings of
/// roles to subjects), and what the edge lets through to the org's routes (rate limits, request
/// limits, IP rules, CORS). An org may hold several policies; their bindings add up, and every
/// edge rule that applies to a route is enforced.
///
/// This type holds the document as written and checks its shape; `GatehousePolicy` compiles it
/// (permissions, CIDR ranges, origin patterns) and reports what does not parse, field by field.
public struct Policy: OrgScopedResource {
    public static let kind = ResourceKind.policy
    public static let maxDescriptionLength = 1024
    /// A binding's subject: `kind:name`, the name up to this many bytes.
    public static let maxSubjectLength = 300

    public var name: String
    public var description: String?
    /// Roles of this org's own, beside the built-in ones (`org-admin`, `developer`, ...).
    public var roles: [RoleSpec]?
    public var bindings: [Binding]?
    public var rateLimits: [RateLimitRule]?
    public var quotas: [QuotaRule]?
    public var requestLimits: [RequestLimitRule]?
    public var ipRules: [IPRule]?
    public var cors: [CORSRule]?
    public var org: String?
    public var revision: Int64?
    public var createdAt: Date?
    public var updatedAt: Date?

    public init(
        name: String, description: String? = nil, roles: [RoleSpec]? = nil, bindings: [Binding]? = nil,
        rateLimits: [RateLimitRule]? = nil, quotas: [QuotaRule]? = nil, requestLimits: [RequestLimitRule]? = nil,
        ipRules: [IPRule]? = nil, cors: [CORSRule]? = nil
    ) {
        self.name = name
        self.description = description
        self.roles = roles
        self.bindings = bindings
        self.rateLimits = rateLimits
        self.quotas = quotas
        self.requestLimits = requestLimits
        self.ipRules = ipRules
        self.cors = cors
    }

    /// A role of the org's own: a named set of `resource:action` permissions.
    public struct RoleSpec: Codable, Sendable, Equatable {
        public var name: String
        public var description: String?
        public var permissions: [String]

        public init(name: String, description: String? = nil, permissions: [String]) {
            self.name = name
            self.description = description
            self.permissions = permissions
        }
    }

    /// A role given to subjects: `user:<email or sub>`, `group:<name>`, `github-team:<org>/<team>`,
    /// `github-org:<org>`, `service-account:<name>`, `api-key:<name>`.
    public struct Binding: Codable, Sendable, Equatable {
        public var role: String
        public var subjects: [String]

        public init(role: String, subjects: [String]) {
            self.role = role
            self.subjects = subjects
        }
    }

    public func validate() throws(Problem) {
        try ResourceName.validate(name)
        if let description {
            try FieldRules.text(description, field: "description", maxLength: Self.maxDescriptionLength)
        }
        try FieldRules.list(roles ?? [], field: "roles")
        for (index, role) in (roles ?? []).enumerated() {
            let field = "roles[\(index)]"
            try ResourceName.validate(role.name, field: "\(field).name")
            if let description = role.description {
                try FieldRules.text(description, field: "\(field).description", maxLength: Self.maxDescriptionLength)
            }
            try FieldRules.texts(
                role.permissions, field: "\(field).permissions", maxLength: 64, emptyMeans: "a role grants something")
        }
        try FieldRules.unique((roles ?? []).map(\.name), field: "roles")
        try FieldRules.list(bindings ?? [], field: "bindings")
        for (index, binding) in (bindings ?? []).enumerated() {
            let field = "bindings[\(index)]"
            try ResourceName.validate(binding.role, field: "\(field).role")
            try FieldRules.texts(
                binding.subjects, field: "\(field).subjects", maxLength: Self.maxSubjectLength,
                emptyMeans: "a binding gives its role to someone")
        }
        try FieldRules.list(rateLimits ?? [], field: "rateLimits")
        for (index, rule) in (rateLimits ?? []).enumerated() { try rule.validate(field: "rateLimits[\(index)]") }
        try FieldRules.unique((rateLimits ?? []).map(\.name), field: "rateLimits")
        try FieldRules.list(quotas ?? [], field: "quotas")
        for (index, rule) in (quotas ?? []).enumerated() { try rule.validate(field: "quotas[\(index)]") }
        try FieldRules.unique((quotas ?? []).map(\.name), field: "quotas")
        try FieldRules.list(requestLimits ?? [], field: "requestLimits")
        for (index, rule) in (requestLimits ?? []).enumerated() { try rule.validate(field: "requestLimits[\(index)]") }
        try FieldRules.list(ipRules ?? [], field: "ipRules")
        for (index, rule) in (ipRules ?? []).enumerated() { try rule.validate(field: "ipRules[\(index)]") }
        try FieldRules.list(cors ?? [], field: "cors")
        for (index, rule) in (cors ?? []).enumerated() { try rule.validate(field: "cors[\(index)]") }
    }
}

extension Policy {
    /// Which of the org's routes an edge rule applies to: the named ones, or all when absent.
    static func validateRoutes(_ routes: [String]?, field: String) throws(Problem) {
        guard let routes else { return }
        try FieldRules.list(routes, field: "\(field).routes", emptyMeans: "leave routes out to mean every route")
        for (index, route) in routes.enumerated() { try ResourceName.validate(route, field: "\(field).routes[\(index)]") }
    }

    /// Whether a rule listing `routes` applies to the route named `route`.
    public static func applies(_ routes: [String]?, to route: String) -> Bool {
        routes.map { $0.contains(route) } ?? true
    }
}
