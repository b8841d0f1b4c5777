import Foundation
import GatehouseModel

/// The access-check endpoint: what the org's policies decide for some subjects, or the caller.
extension AdminClient {
    public func checkAccess(_ question: AccessCheck, org: String) async throws -> AccessDecision {
        let body = try JSONEncoder().encode(question)
        let response = try await send(.post, path: ResourcePath.accessChecks(org: org), body: body)
        return try decode(AccessDecision.self, from: response, what: "the access decision")
    }
}

extension OutputRenderer {
    /// `allowed: role developer (functions:*) bound to group:eng in ...`, or its JSON / YAML.
    public func render(decision: AccessDecision) throws -> String {
        switch format {
        case .json: return try Self.json(try JSONValue(encoding: decision))
        case .yaml: return try Self.yaml([try JSONValue(encoding: decision)])
        case .table: return "\(decision.allowed ? "allowed" : "denied"): \(decision.rule)"
        }
    }
}
