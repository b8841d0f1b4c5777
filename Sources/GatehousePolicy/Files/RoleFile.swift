import GatehouseModel
import Yams

/// A role as `policies/*.yaml` define them:
///
///     kind: role
///     name: developer
///     description: Builds and runs the org's functions.
///     scope: org            # or platform: the role applies outside any one org
///     permissions: [functions:*, routes:*, runs:read]
public struct RoleDefinition: Sendable, Equatable {
    public enum Scope: String, Sendable {
        case org
        case platform
    }

    public let role: Role
    public let description: String?
    public let scope: Scope
}

/// Reads role documents from YAML, strictly: every document is a mapping of known keys, every
/// permission parses, and each error names the line and column it was found at.
public enum RoleFile {
    static let keys: Set<String> = ["kind", "name", "description", "scope", "permissions"]

    public static func parse(_ text: String, file: String) throws(PolicyFileError) -> [RoleDefinition] {
        func fail(_ node: Node?, _ reason: String) -> PolicyFileError {
            PolicyFileError(file: file, line: node?.mark?.line ?? 0, column: node?.mark?.column ?? 0, reason: reason)
        }
        var roles: [RoleDefinition] = []
        var names: Set<String> = []
        do {
            var documents = try Yams.compose_all(yaml: text)
            while let document = documents.next() {
                guard case .mapping(let mapping) = document else { throw fail(document, "a role document is a mapping (kind: role, name: ..., permissions: [...])") }
                for key in mapping.keys {
                    guard let name = key.string, keys.contains(name) else {
                        throw fail(key, "unknown key '\(key.string ?? "?")'; a role has \(keys.sorted().joined(separator: ", "))")
                    }
                }
                guard mapping["kind"]?.string == "role" else { throw fail(mapping["kind"] ?? document, "kind must be 'role'") }
                guard let nameNode = mapping["name"], let name = nameNode.string, ResourceName.isValid(name) else {
                    throw fail(mapping["name"] ?? document, "name must be a resource name (lowercase letters, digits, '-')")
                }
                guard names.insert(name).inserted else { throw fail(nameNode, "role '\(name)' is defined twice") }
                var scope = RoleDefinition.Scope.org
                if let scopeNode = mapping["scope"] {
                    guard let value = scopeNode.string.flatMap(RoleDefinition.Scope.init(rawValue:)) else {
                        throw fail(scopeNode, "scope must be 'org' or 'platform'")
                    }
                    scope = value
                }
                guard case .sequence(let list)? = mapping["permissions"], !list.isEmpty else {
                    throw fail(mapping["permissions"] ?? document, "permissions must be a non-empty list of resource:action")
                }
                var permissions: [Permission] = []
                for item in list {
                    guard let text = item.string else { throw fail(item, "a permission is a string, resource:action") }
                    do throws(Permission.ParseError) {
                        permissions.append(try Permission(parsing: text))
                    } catch {
                        throw fail(item, error.description)
                    }
                }
                roles.append(
                    RoleDefinition(
                        role: Role(name: name, permissions: permissions), description: mapping["description"]?.string,
                        scope: scope))
            }
            if let error = documents.error { throw error }
        } catch let error as PolicyFileError {
            throw error
        } catch let error as YamlError {
            throw Self.describe(error, file: file)
        } catch {
            throw PolicyFileError(file: file, line: 0, column: 0, reason: "not valid YAML: \(error)")
        }
        return roles
    }

    private static func describe(_ error: YamlError, file: String) -> PolicyFileError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return PolicyFileError(file: file, line: mark.line, column: mark.column, reason: "not valid YAML: \(problem)")
        default:
            return PolicyFileError(file: file, line: 0, column: 0, reason: "not valid YAML: \(error)")
        }
    }
}
