import Testing

@testable import GatehousePolicy

@Suite("RBAC")
struct AuthorizerTests {
    static func role(_ name: String, _ permissions: String...) throws -> Role {
        Role(name: name, permissions: try permissions.map { p throws(Permission.ParseError) in try Permission(parsing: p) })
    }

    @Test("a bound role's covering permission allows, and the decision names it")
    func allows() throws {
        let authorizer = Authorizer(
            roles: [try Self.role("developer", "functions:*", "routes:*", "runs:read"), try Self.role("viewer", "*:read")],
            bindings: [
                RoleBinding(role: "developer", subjects: ["group:eng"], source: "policy acme/default, bindings[0]"),
                RoleBinding(role: "viewer", subjects: ["user:bob@example.com"], source: "policy acme/default, bindings[1]"),
            ])
        let alice: Set = ["user:alice", "group:eng"]
        let decision = authorizer.decide(subjects: alice, resource: "functions", action: "delete")
        #expect(decision.allowed)
        #expect(decision.rule == "role developer (functions:*) bound to group:eng in policy acme/default, bindings[0]")
        #expect(!authorizer.decide(subjects: alice, resource: "secrets", action: "read").allowed)
        #expect(authorizer.decide(subjects: ["user:bob@example.com"], resource: "secrets", action: "read").allowed)
        #expect(!authorizer.decide(subjects: ["user:bob@example.com"], resource: "secrets", action: "update").allowed)
        let nobody = authorizer.decide(subjects: ["user:mallory"], resource: "functions", action: "read")
        #expect(!nobody.allowed && nobody.rule.contains("functions:read"))
    }

    @Test("permissions and subjects are validated")
    func validation() {
        for bad in ["functions", "functions:fly", "widgets:read", ":read", "functions:", "functions:read:x"] {
            #expect(throws: Permission.ParseError.self, "\(bad)") { try Permission(parsing: bad) }
        }
        #expect(RoleBinding.isValidSubject("github-team:acme/eng"))
        #expect(!RoleBinding.isValidSubject("team:eng"))
        #expect(!RoleBinding.isValidSubject("group:"))
    }
}
