import GatehouseModel
import Testing

@testable import GatehousePolicy

@Suite struct OrgPolicyTests {
    private static let catalog = RoleCatalog([
        RoleDefinition(role: Role(name: "viewer", permissions: [try! Permission(parsing: "*:read")]), description: nil, scope: .org),
        RoleDefinition(role: Role(name: "platform-admin", permissions: [try! Permission(parsing: "*:*")]), description: nil, scope: .platform),
    ])

    private func compile(_ policy: Policy, roles: Set<String> = []) throws(CompiledPolicy.Invalid) -> CompiledPolicy {
        try CompiledPolicy(policy, org: "acme", catalog: Self.catalog, orgRoleNames: roles.union((policy.roles ?? []).map(\.name)))
    }

    @Test func bindingsAcrossPoliciesAddUpAndNameTheirSource() throws {
        let roles = try compile(Policy(name: "roles", roles: [.init(name: "deployer", permissions: ["functions:*"])]))
        let people = try compile(
            Policy(name: "people", bindings: [.init(role: "deployer", subjects: ["group:eng"]), .init(role: "viewer", subjects: ["user:ann"])]),
            roles: ["deployer"])
        let org = OrgPolicy(org: "acme", policies: [people, roles], catalog: Self.catalog)
        let deploy = org.authorizer.decide(subjects: ["group:eng"], resource: "functions", action: "delete")
        #expect(deploy.allowed)
        #expect(deploy.rule == "role deployer (functions:*) bound to group:eng in policy acme/people, bindings[0]")
        #expect(org.authorizer.decide(subjects: ["user:ann"], resource: "secrets", action: "read").allowed)
        #expect(!org.authorizer.decide(subjects: ["user:ann"], resource: "secrets", action: "update").allowed)
        #expect(!org.authorizer.decide(subjects: ["group:ops"], resource: "functions", action: "read").allowed)
    }

    @Test func refusalsNameTheField() {
        let cases: [(Policy, String)] = [
            (Policy(name: "p", roles: [.init(name: "r", permissions: ["functions:read", "x:y"])]), "roles[0].permissions[1]"),
            (Policy(name: "p", roles: [.init(name: "viewer", permissions: ["functions:read"])]), "roles[0].name"),
            (Policy(name: "p", bindings: [.init(role: "platform-admin", subjects: ["user:a"])]), "bindings[0].role"),
            (Policy(name: "p", bindings: [.init(role: "ghost", subjects: ["user:a"])]), "bindings[0].role"),
            (Policy(name: "p", bindings: [.init(role: "viewer", subjects: ["user:a", "team:b"])]), "bindings[0].subjects[1]"),
            (Policy(name: "p", requestLimits: [.init(contentTypes: ["text/plain; charset=utf-8"])]), "requestLimits[0].contentTypes[0]"),
            (Policy(name: "p", ipRules: [.init(allow: ["10.0.0.0/8"], deny: ["fe80::1/10"])]), "ipRules[0].deny[0]"),
            (Policy(name: "p", cors: [.init(origins: ["https://a.example"], headers: ["*"], allowCredentials: true)]), "cors[0]"),
        ]
        for (policy, field) in cases {
            #expect(throws: CompiledPolicy.Invalid.self) { try compile(policy) }
            do {
                _ = try compile(policy)
            } catch {
                #expect(error.field == field)
            }
        }
    }

    @Test func edgeRulesApplyToTheirRoutesAndRouteCORSWinsOverOrgWide() throws {
        let policy = try compile(
            Policy(
                name: "edge",
                rateLimits: [
                    .init(name: "all", requests: 10, periodSeconds: 1, key: .org),
                    .init(name: "api", requests: 5, periodSeconds: 1, burst: 2, key: .principal, routes: ["api"]),
                ],
                requestLimits: [.init(maxBodyBytes: 100, routes: ["upload"])],
                ipRules: [.init(deny: ["192.0.2.0/24"])],
                cors: [
                    .init(origins: ["https://org.example"]),
                    .init(origins: ["https://api.example"], routes: ["api"]),
                ]))
        let org = OrgPolicy(org: "acme", policies: [policy], catalog: Self.catalog)
        let api = org.edgeRules(forRoute: "api")
        #expect(api.rateLimits.map(\.id) == ["acme/edge/all", "acme/edge/api"])
        #expect(api.rateLimits[1].limit == RateLimit(requests: 5, periodSeconds: 1, burst: 2))
        #expect(api.cors?.allows(origin: "https://api.example") == true)
        #expect(api.cors?.allows(origin: "https://org.example") == false)
        #expect(api.requestLimits.isEmpty && api.ipFilters.count == 1)
        let upload = org.edgeRules(forRoute: "upload")
        #expect(upload.rateLimits.map(\.name) == ["all"])
        #expect(upload.requestLimits.first?.maxBodyBytes == 100)
        #expect(upload.cors?.allows(origin: "https://org.example") == true)
        #expect(upload.ipFilters[0].admits(IPAddress("192.0.2.7")!) == false)
        #expect(upload.ipFilters[0].admits(IPAddress("198.51.100.7")!))
        // A rate limit's burst defaults to a whole period's requests.
        #expect(api.rateLimits[0].limit.burst == 10)
        #expect(OrgPolicy(org: "acme", policies: [], catalog: Self.catalog).edgeRules(forRoute: "api").isEmpty)
    }

    @Test func ipFiltersDenyWinsAndAllowListsAreExclusive() throws {
        let filter = IPFilter(
            allow: [try IPRange(parsing: "10.0.0.0/8"), try IPRange(parsing: "2001:db8::/32")],
            deny: [try IPRange(parsing: "10.1.0.0/16")])
        #expect(filter.admits(IPAddress("10.2.3.4")!))
        #expect(!filter.admits(IPAddress("10.1.3.4")!))
        #expect(!filter.admits(IPAddress("11.0.0.1")!))
        #expect(filter.admits(IPAddress("2001:db8::5")!))
        #expect(filter.admits(IPAddress("::ffff:10.2.3.4")!))
    }
}
