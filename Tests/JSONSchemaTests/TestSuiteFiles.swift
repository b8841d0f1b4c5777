import Foundation
import JSONSchema

/// The official JSON-Schema-Test-Suite, kept in the shared test data beside the repository
/// (`<repo>/../shared/testdata/json-schema-test-suite`, both in a work tree and in CI's clone).
/// `GATEHOUSE_SHARED_TESTDATA` points elsewhere; a clone made somewhere else (a scratch CI run
/// in /tmp) falls back to the workplace's `/work/shared/testdata`.
enum TestSuiteFiles {
    static let root: URL = {
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // JSONSchemaTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package root
        let candidates = [
            ProcessInfo.processInfo.environment["GATEHOUSE_SHARED_TESTDATA"].map { URL(fileURLWithPath: $0) },
            packageRoot.appendingPathComponent("../shared/testdata"),
            URL(fileURLWithPath: "/work/shared/testdata"),
        ].compactMap { $0?.appendingPathComponent("json-schema-test-suite").standardizedFileURL }
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) } ?? candidates[0]
    }()

    static let draft = root.appendingPathComponent("tests/draft2020-12")

    static var isPresent: Bool { FileManager.default.fileExists(atPath: draft.path) }

    /// CI must not pass by quietly skipping the suite; a developer without the data may.
    static var isRequired: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    /// `*.json` names directly in `directory` (relative to the draft folder), sorted.
    static func files(in directory: String = "") -> [String] {
        let folder = directory.isEmpty ? draft : draft.appendingPathComponent(directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted().map { directory.isEmpty ? $0 : directory + "/" + $0 }
    }

    /// Every document under `remotes/`, as the suite's `$ref`s name them: `http://localhost:1234/<path>`.
    static let registry: SchemaRegistry = {
        var registry = SchemaRegistry()
        let remotes = root.appendingPathComponent("remotes")
        guard let walker = FileManager.default.enumerator(atPath: remotes.path) else { return registry }
        for case let path as String in walker where path.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: remotes.appendingPathComponent(path).path),
                let document = try? JSONValue.parse(data)
            else { continue }
            registry.register(document, as: "http://localhost:1234/" + path)
        }
        return registry
    }()

    struct Case: Sendable {
        let group: String
        let description: String
        let schema: JSONValue
        let data: JSONValue
        let valid: Bool
    }

    /// The cases of one file, e.g. `items.json` or `optional/bignum.json`.
    static func cases(in file: String) throws -> [Case] {
        let data = try Data(contentsOf: draft.appendingPathComponent(file))
        guard case .array(let groups) = try JSONValue.parse(data) else { return [] }
        return groups.flatMap { group -> [Case] in
            guard case .object(let members) = group, case .string(let name)? = members["description"],
                let schema = members["schema"], case .array(let tests)? = members["tests"]
            else { return [] }
            return tests.compactMap { test in
                guard case .object(let test) = test, case .string(let description)? = test["description"],
                    let data = test["data"], case .bool(let valid)? = test["valid"]
                else { return nil }
                return Case(group: name, description: description, schema: schema, data: data, valid: valid)
            }
        }
    }
}
