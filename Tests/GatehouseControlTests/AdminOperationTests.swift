import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import Testing

@testable import GatehouseControl

@Suite struct AdminOperationTests {
    @Test func requestsMapToResourceAndAction() {
        func op(_ method: String, _ path: String) -> AdminOperation? { AdminOperation(method: method, path: path, ownOrg: "acme") }
        #expect(op("GET", "/v1/orgs") == AdminOperation(org: "acme", resource: "orgs", action: "read"))
        #expect(op("POST", "/v1/orgs") == nil)
        #expect(op("GET", "/v1/orgs/acme") == AdminOperation(org: "acme", resource: "orgs", action: "read"))
        #expect(op("PUT", "/v1/orgs/acme") == AdminOperation(org: "acme", resource: "orgs", action: "update"))
        #expect(op("HEAD", "/v1/orgs/acme/functions") == AdminOperation(org: "acme", resource: "functions", action: "read"))
        #expect(op("POST", "/v1/orgs/acme/api-keys") == AdminOperation(org: "acme", resource: "api-keys", action: "create"))
        #expect(
            op("PUT", "/v1/orgs/acme/policies/p")
                == AdminOperation(
                    org: "acme", resource: "policies", action: "update",
                    createsIfAbsent: ResourceKey(kind: .policy, org: "acme", name: "p")))
        #expect(op("DELETE", "/v1/orgs/acme/routes/r") == AdminOperation(org: "acme", resource: "routes", action: "delete"))
        #expect(op("POST", "/v1/orgs/acme/access-checks") == AdminOperation(org: "acme", resource: "policies", action: "read"))
        // Not the org's resources: someone else's business (AdminAccess, the router's 404/405).
        #expect(op("GET", "/v1/signing-keys") == nil)
        #expect(op("GET", "/v1/orgs/acme/lambdas") == nil)
        #expect(op("PATCH", "/v1/orgs/acme/functions/f") == nil)
        #expect(op("GET", "/v1/orgs/acme/functions/f/extra") == nil)
    }

    @Test func principalsAreNamedAsPoliciesBindThem() {
        let user = Principal(kind: .user, subject: "u-1", org: "acme", groups: ["eng", "github-team:acme/ops"], email: "Ann@Example.com")
        #expect(user.policySubjects == ["user:u-1", "user:Ann@Example.com", "user:ann@example.com", "group:eng", "github-team:acme/ops"])
        #expect(Principal(kind: .serviceAccount, subject: "acme/ci", org: "acme").policySubjects == ["service-account:ci"])
        #expect(Principal(kind: .apiKey, subject: "bot", org: "acme").policySubjects == ["api-key:bot"])
        #expect(Principal.platformAdmin.policySubjects.isEmpty)
    }
}
