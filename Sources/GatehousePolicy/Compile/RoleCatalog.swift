import Foundation

/// The roles every org may bind without defining them: the built-in ones (`policies/*.yaml`,
/// loaded at start), org-scoped and platform-scoped apart.
public struct RoleCatalog: Sendable {
    /// Roles an org's policies may bind.
    public let orgRoles: [String: RoleDefinition]
    /// Roles that apply outside any one org (`platform-admin`): never bound by an org policy.
    public let platformRoles: [String: RoleDefinition]

    public init(_ definitions: [RoleDefinition]) {
        var org: [String: RoleDefinition] = [:], platform: [String: RoleDefinition] = [:]
        for definition in definitions {
            switch definition.scope {
            case .org: org[definition.role.name] = org[definition.role.name] ?? definition
            case .platform: platform[definition.role.name] = platform[definition.role.name] ?? definition
            }
        }
        orgRoles = org
        platformRoles = platform
    }

    /// Every `*.yaml` file directly in `directory`, in name order. A role defined in two files
    /// is an error naming the second.
    public static func load(directory: URL) throws(PolicyFileError) -> RoleCatalog {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            throw PolicyFileError(file: directory.path, line: 0, column: 0, reason: "cannot list the policies directory")
        }
        var definitions: [RoleDefinition] = []
        var seen: Set<String> = []
        for name in names {
            let path = directory.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw PolicyFileError(file: path, line: 0, column: 0, reason: "cannot read the file as UTF-8 text")
            }
            for definition in try RoleFile.parse(text, file: path) {
                guard seen.insert(definition.role.name).inserted else {
                    throw PolicyFileError(
                        file: path, line: 0, column: 0, reason: "role '\(definition.role.name)' is already defined in another file")
                }
                definitions.append(definition)
            }
        }
        return RoleCatalog(definitions)
    }
}
