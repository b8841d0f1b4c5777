import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
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

    @Test func runsInvokeAndCodeMapToTheirPermissions() {
        func op(_ method: String, _ path: String) -> AdminOperation? { AdminOperation(method: method, path: path, ownOrg: "acme") }
        #expect(op("GET", "/v1/orgs/acme/runs") == AdminOperation(org: "acme", resource: "runs", action: "read"))
        #expect(op("GET", "/v1/orgs/acme/runs/run_x") == AdminOperation(org: "acme", resource: "runs", action: "read"))
        // Not a route, but never let through unchecked: a write to runs needs more than reading them.
        #expect(op("DELETE", "/v1/orgs/acme/runs/run_x") == AdminOperation(org: "acme", resource: "runs", action: "update"))
        #expect(op("POST", "/v1/orgs/acme/functions/f/invoke") == AdminOperation(org: "acme", resource: "functions", action: "invoke"))
        #expect(op("PUT", "/v1/orgs/acme/functions/f/code") == AdminOperation(org: "acme", resource: "functions", action: "update"))
        #expect(op("GET", "/v1/orgs/acme/functions/f/code") == AdminOperation(org: "acme", resource: "functions", action: "read"))
    }

    @Test func builtInRolesGrantRunsAndInvokeAsTheirDescriptionsSay() throws {
        let catalog = RoleFiles.builtin()
        func grants(_ role: String, _ resource: String, _ action: String) -> Bool {
            catalog.orgRoles[role]?.role.permissions.contains { $0.covers(resource: resource, action: action) } ?? false
        }
        #expect(grants("viewer", "runs", "read"))
        #expect(!grants("viewer", "functions", "invoke"))
        #expect(grants("invoker", "functions", "invoke") && grants("invoker", "runs", "read"))
        #expect(!grants("invoker", "functions", "update"))
        #expect(grants("developer", "functions", "invoke") && grants("developer", "runs", "read") && grants("developer", "functions", "update"))
        #expect(grants("org-admin", "runs", "read") && grants("org-admin", "functions", "invoke"))
    }

    @Test func principalsAreNamedAsPoliciesBindThem() {
        let user = Principal(kind: .user, subject: "u-1", org: "acme", groups: ["eng", "github-team:acme/ops"], email: "Ann@Example.com")
        #expect(user.policySubjects == ["user:u-1", "user:Ann@Example.com", "user:ann@example.com", "group:eng", "github-team:acme/ops"])
        #expect(Principal(kind: .serviceAccount, subject: "acme/ci", org: "acme").policySubjects == ["service-account:ci"])
        #expect(Principal(kind: .apiKey, subject: "bot", org: "acme").policySubjects == ["api-key:bot"])
        #expect(Principal.platformAdmin.policySubjects.isEmpty)
    }
}
