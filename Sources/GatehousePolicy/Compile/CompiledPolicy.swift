import GatehouseModel

/// One policy document, parsed: its roles and bindings for RBAC, and its edge rules with the
/// routes each applies to. Everything a request needs is parsed here once, not per request.
public struct CompiledPolicy: Sendable {
    public let name: String
    public let roles: [Role]
    public let bindings: [RoleBinding]
    public let rateLimits: [Scoped<CompiledRateLimit>]
    public let quotas: [Scoped<CompiledQuota>]
    public let requestLimits: [Scoped<RequestLimits>]
    public let ipFilters: [Scoped<IPFilter>]
    public let cors: [Scoped<CORSPolicy>]

    /// A rule and the routes it applies to (nil: every route of the org).
    public struct Scoped<Rule: Sendable>: Sendable {
        public let rule: Rule
        public let routes: Set<String>?

        public func applies(to route: String) -> Bool { routes?.contains(route) ?? true }
    }

    /// A field that does not parse, and why: the admin API's 422 names the field.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public let field: String
        public let reason: String
        public var description: String { "\(field): \(reason)" }
    }

    /// Parses `policy` of `org`. `catalog` holds the built-in roles, which the org's own may not
    /// redefine and which bindings may name beside the org's own (`orgRoleNames`: every role the
    /// org's policies define, this one's included).
    public init(_ policy: Policy, org: String, catalog: RoleCatalog, orgRoleNames: Set<String>) throws(Invalid) {
        name = policy.name
        let source = "policy \(org)/\(policy.name)"
        var roles: [Role] = []
        for (index, spec) in (policy.roles ?? []).enumerated() {
            let field = "roles[\(index)]"
            if catalog.orgRoles[spec.name] != nil || catalog.platformRoles[spec.name] != nil {
                throw Invalid(field: "\(field).name", reason: "'\(spec.name)' is a built-in role; give the org's own role another name")
            }
            var permissions: [Permission] = []
            for (p, text) in spec.permissions.enumerated() {
                do throws(Permission.ParseError) {
                    permissions.append(try Permission(parsing: text))
                } catch {
                    throw Invalid(field: "\(field).permissions[\(p)]", reason: error.description)
                }
            }
            roles.append(Role(name: spec.name, permissions: permissions))
        }
        self.roles = roles
        var bindings: [RoleBinding] = []
        for (index, binding) in (policy.bindings ?? []).enumerated() {
            let field = "bindings[\(index)]"
            if catalog.platformRoles[binding.role] != nil {
                throw Invalid(field: "\(field).role", reason: "'\(binding.role)' is the platform's; an org's policy cannot give it")
            }
            guard catalog.orgRoles[binding.role] != nil || orgRoleNames.contains(binding.role) else {
                let known = Set(catalog.orgRoles.keys).union(orgRoleNames).sorted().joined(separator: ", ")
                throw Invalid(field: "\(field).role", reason: "no role '\(binding.role)'; the org's roles are \(known)")
            }
            for (s, subject) in binding.subjects.enumerated() where !RoleBinding.isValidSubject(subject) {
                throw Invalid(field: "\(field).subjects[\(s)]", reason: RoleBinding.notASubject(subject))
            }
            bindings.append(RoleBinding(role: binding.role, subjects: Set(binding.subjects), source: "\(source), \(field)"))
        }
        self.bindings = bindings
        rateLimits = (policy.rateLimits ?? []).map { rule in
            Scoped(
                rule: CompiledRateLimit(
                    id: "\(org)/\(policy.name)/\(rule.name)", name: rule.name,
                    limit: RateLimit(requests: rule.requests, periodSeconds: rule.periodSeconds, burst: rule.effectiveBurst),
                    key: rule.key),
                routes: rule.routes.map(Set.init))
        }
        quotas = (policy.quotas ?? []).map { rule in
            Scoped(
                rule: CompiledQuota(
                    id: "\(org)/\(policy.name)/\(rule.name)", name: rule.name, requests: rule.requests, period: rule.period,
                    key: rule.key),
                routes: rule.routes.map(Set.init))
        }
        var requestLimits: [Scoped<RequestLimits>] = []
        for (index, rule) in (policy.requestLimits ?? []).enumerated() {
            for (c, type) in (rule.contentTypes ?? []).enumerated() where !RequestLimits.isMediaRange(type) {
                throw Invalid(
                    field: "requestLimits[\(index)].contentTypes[\(c)]",
                    reason: "'\(type.prefix(60))' is not a media type (type/subtype or type/*, no parameters)")
            }
            requestLimits.append(
                Scoped(
                    rule: RequestLimits(
                        methods: rule.methods ?? [], contentTypes: rule.contentTypes ?? [], maxBodyBytes: rule.maxBodyBytes,
                        maxHeaderBytes: rule.maxHeaderBytes),
                    routes: rule.routes.map(Set.init)))
        }
        self.requestLimits = requestLimits
        var ipFilters: [Scoped<IPFilter>] = []
        for (index, rule) in (policy.ipRules ?? []).enumerated() {
            func ranges(_ texts: [String]?, _ member: String) throws(Invalid) -> [IPRange] {
                var result: [IPRange] = []
                for (r, text) in (texts ?? []).enumerated() {
                    do throws(IPRange.ParseError) {
                        result.append(try IPRange(parsing: text))
                    } catch {
                        throw Invalid(field: "ipRules[\(index)].\(member)[\(r)]", reason: error.description)
                    }
                }
                return result
            }
            ipFilters.append(
                Scoped(
                    rule: IPFilter(allow: try ranges(rule.allow, "allow"), deny: try ranges(rule.deny, "deny")),
                    routes: rule.routes.map(Set.init)))
        }
        self.ipFilters = ipFilters
        var cors: [Scoped<CORSPolicy>] = []
        for (index, rule) in (policy.cors ?? []).enumerated() {
            do throws(CORSPolicy.ConfigurationError) {
                cors.append(
                    Scoped(
                        rule: try CORSPolicy(
                            origins: rule.origins, methods: rule.methods ?? [], headers: rule.headers ?? [],
                            exposedHeaders: rule.exposedHeaders ?? [], allowCredentials: rule.allowCredentials ?? false,
                            maxAgeSeconds: rule.maxAgeSeconds),
                        routes: rule.routes.map(Set.init)))
            } catch {
                throw Invalid(field: "cors[\(index)]", reason: error.description)
            }
        }
        self.cors = cors
    }
}

/// A rate limit as the edge counts it: `id` (`org/policy/rule`) keeps each rule's buckets apart.
public struct CompiledRateLimit: Sendable, Equatable {
    public let id: String
    public let name: String
    public let limit: RateLimit
    public let key: Policy.RateLimitRule.Key
}

/// Client addresses a rule lets through: not in `deny`, and in `allow` when it has ranges.
public struct IPFilter: Sendable, Equatable {
    public let allow: [IPRange]
    public let deny: [IPRange]

    public init(allow: [IPRange], deny: [IPRange]) {
        self.allow = allow
        self.deny = deny
    }

    public func admits(_ address: IPAddress) -> Bool {
        if deny.contains(where: { $0.contains(address) }) { return false }
        return allow.isEmpty || allow.contains { $0.contains(address) }
    }
}
