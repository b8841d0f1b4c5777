import Foundation
import Testing

@testable import GatehousePolicy

@Suite("policies/ role files")
struct RoleFileTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("the shipped built-in roles load and mean what their names say")
    func builtInRoles() throws {
        let path = Self.repository.appendingPathComponent("policies/builtin-roles.yaml")
        let roles = try RoleFile.parse(try String(contentsOf: path, encoding: .utf8), file: "policies/builtin-roles.yaml")
        #expect(roles.map(\.role.name) == ["platform-admin", "org-admin", "developer", "viewer", "invoker"])
        #expect(roles.first?.scope == .platform && roles.dropFirst().allSatisfy { $0.scope == .org })
        let byName = Dictionary(uniqueKeysWithValues: roles.map { ($0.role.name, $0.role) })
        #expect(byName["developer"]?.grant(resource: "functions", action: "delete") != nil)
        #expect(byName["developer"]?.grant(resource: "policies", action: "update") == nil)
        #expect(byName["viewer"]?.grant(resource: "secrets", action: "read") != nil)
        #expect(byName["viewer"]?.grant(resource: "routes", action: "create") == nil)
        #expect(byName["invoker"]?.grant(resource: "functions", action: "invoke") != nil)
        #expect(byName["invoker"]?.grant(resource: "functions", action: "read") == nil)
    }

    @Test("a bad file is refused with its line, column and reason", arguments: [
        ("kind: role\nname: x\npermissions: [functions:fly]\n", 3, "not a permission"),
        ("kind: role\nname: x\npermisions: [functions:read]\n", 3, "unknown key 'permisions'"),
        ("kind: role\nname: Bad_Name\npermissions: [functions:read]\n", 2, "name must be"),
        ("kind: rule\nname: x\npermissions: [functions:read]\n", 1, "kind must be 'role'"),
        ("kind: role\nname: x\nscope: world\npermissions: ['*:*']\n", 3, "scope must be"),
        ("kind: role\nname: x\npermissions: []\n", 3, "non-empty list"),
        ("kind: role\nname: x\npermissions: [a:b\n", 4, "not valid YAML"),
        ("kind: role\nname: x\npermissions: ['*:*']\n---\nkind: role\nname: x\npermissions: ['*:*']\n", 6, "defined twice"),
    ])
    func refused(text: String, line: Int, reason: String) {
        do {
            _ = try RoleFile.parse(text, file: "policies/test.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("policies/test.yaml:\(line):"), "\(error)")
            #expect(error.reason.contains(reason), "\(error)")
        }
    }
}
