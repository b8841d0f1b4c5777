import ArgumentParser
import Foundation
import GatehouseModel

/// `gatehouse policy ...`: who may do what in an org, and what the edge lets through to its
/// routes. The flags cover roles and bindings; edge rules (rate limits, request limits, IP rules,
/// CORS) are written in a policy document and applied with `gatehouse apply -f`.
enum PolicyCommands: ResourceCommandKind {
    typealias Value = Policy
    typealias Scope = OrgScope

    struct Fields: ResourceFields {
        @Option(
            name: .customLong("bind"),
            help: "ROLE=SUBJECT: give a role to user:<email or sub>, group:<name>, github-team:<org>/<team>, github-org:<org>, service-account:<name> or api-key:<name>; repeat (on update, replaces the bindings).")
        var bindings: [String] = []

        @Option(
            name: .customLong("role"),
            help: "NAME=PERMISSION[,PERMISSION...]: a role of the org's own, permissions as resource:action (functions:read, routes:*); repeat (on update, replaces the org's roles).")
        var roles: [String] = []

        @Option(help: "What the policy is for.")
        var description: String?

        var isEmpty: Bool { bindings.isEmpty && roles.isEmpty && description == nil }

        /// One binding per role, its subjects in the order given.
        func parsedBindings() throws -> [Policy.Binding] {
            var result: [Policy.Binding] = []
            for text in bindings {
                let (role, subject) = try Self.split(text, flag: "--bind", shape: "ROLE=SUBJECT")
                if let index = result.firstIndex(where: { $0.role == role }) {
                    result[index].subjects.append(subject)
                } else {
                    result.append(Policy.Binding(role: role, subjects: [subject]))
                }
            }
            return result
        }

        func parsedRoles() throws -> [Policy.RoleSpec] {
            try roles.map { text in
                let (name, permissions) = try Self.split(text, flag: "--role", shape: "NAME=PERMISSION[,PERMISSION...]")
                return Policy.RoleSpec(name: name, permissions: permissions.split(separator: ",").map(String.init))
            }
        }

        private static func split(_ text: String, flag: String, shape: String) throws -> (String, String) {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("\(flag) takes \(shape), not '\(text)'")
            }
            return (parts[0], parts[1])
        }
    }

    static let abstract = "Manage policies: roles, who holds them, and the edge's limits on the org's routes."

    static var extraSubcommands: [any ParsableCommand.Type] { [PolicyCheckCommand.self] }

    static func makeResource(named name: String, from fields: Fields) throws -> Policy {
        let bindings = try fields.parsedBindings(), roles = try fields.parsedRoles()
        return Policy(
            name: name, description: fields.description, roles: roles.isEmpty ? nil : roles,
            bindings: bindings.isEmpty ? nil : bindings)
    }

    static func update(_ policy: inout Policy, from fields: Fields) throws {
        if let description = fields.description { policy.description = description.isEmpty ? nil : description }
        if !fields.bindings.isEmpty { policy.bindings = try fields.parsedBindings() }
        if !fields.roles.isEmpty { policy.roles = try fields.parsedRoles() }
    }
}
