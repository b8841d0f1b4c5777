import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehousePolicy
import Hummingbird

/// `POST /v1/orgs/{org}/access-checks`: "may these subjects do this action on this resource?",
/// answered with the rule that decided, for debugging policies. Without `subjects` it asks
/// about the caller. Reading the answer needs `policies:read` in the org.
enum AccessCheckRoute {
    static func register(on router: Router<AdminRequestContext>, authorizer: AdminAuthorizer) {
        router.post("/v1/orgs/:org/\(AdminOperation.accessChecks)") { request, context in
            let org = context.parameters.get("org") ?? ""
            let question = try StrictJSON.decode(AccessCheck.self, from: try await JSONBody.read(request))
            try validate(question)
            guard try await authorizer.store.read({ try $0.document(.org(org)) }) != nil else {
                throw Problem.notFound("org '\(org)' does not exist")
            }
            let subjects = question.subjects.map(Set.init) ?? context.principal?.policySubjects ?? []
            if question.subjects == nil, context.principal?.kind == .platformAdmin {
                return try JSONResponse.make(
                    .ok, AccessDecision(allowed: true, rule: "the platform admin token is outside RBAC: every action in every org", subjects: []))
            }
            let decision = try await authorizer.decide(
                subjects: subjects, org: org, resource: question.resource, action: question.action)
            return try JSONResponse.make(.ok, AccessDecision(allowed: decision.allowed, rule: decision.rule, subjects: subjects.sorted()))
        }
    }

    private static func validate(_ question: AccessCheck) throws(Problem) {
        guard Permission.resources.contains(question.resource) else {
            throw Problem.invalidField(
                "resource", "resource must be one of \(Permission.resources.sorted().joined(separator: ", "))")
        }
        guard Permission.actions.contains(question.action) else {
            throw Problem.invalidField("action", "action must be one of \(Permission.actions.sorted().joined(separator: ", "))")
        }
        let subjects = question.subjects ?? []
        try FieldRules.list(subjects, field: "subjects")
        for (index, subject) in subjects.enumerated() where !RoleBinding.isValidSubject(subject) {
            throw Problem.invalidField("subjects[\(index)]", RoleBinding.notASubject(subject))
        }
    }
}
