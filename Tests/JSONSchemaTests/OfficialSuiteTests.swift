import Foundation
import JSONSchema
import Testing

/// Runs draft 2020-12 of the official JSON-Schema-Test-Suite.
///
/// Every file directly in `tests/draft2020-12` must pass entirely. So must every file of
/// `optional/` except those `OptionalSkips` lists, with the reason each is not run. Each file's
/// tally is printed (`JSON-Schema-Test-Suite <file>: passed/total`).
@Suite struct OfficialSuiteTests {
    @Test(.enabled(if: TestSuiteFiles.isPresent || TestSuiteFiles.isRequired, "JSON-Schema-Test-Suite not found"))
    func suiteIsPresent() {
        #expect(TestSuiteFiles.isPresent, "no JSON-Schema-Test-Suite at \(TestSuiteFiles.draft.path)")
        #expect(TestSuiteFiles.files().count > 40)
    }

    @Test(arguments: TestSuiteFiles.files())
    func required(_ file: String) throws {
        let failures = try run(file, tolerating: [])
        #expect(failures.isEmpty, "\(file): \(failures.joined(separator: "; "))")
    }

    @Test(arguments: TestSuiteFiles.files(in: "optional").filter { OptionalSkips.files[$0] == nil })
    func optional(_ file: String) throws {
        let failures = try run(file, tolerating: OptionalSkips.cases[file] ?? [])
        #expect(failures.isEmpty, "\(file): \(failures.joined(separator: "; "))")
    }

    /// Runs every case of `file`; returns the descriptions of the failing ones not in `tolerated`
    /// (keyed `group / case`), and prints the file's tally.
    private func run(_ file: String, tolerating tolerated: Set<String>) throws -> [String] {
        var passed = 0, failures: [String] = [], toleratedCount = 0
        let cases = try TestSuiteFiles.cases(in: file)
        var compiled: [JSONValue: Result<JSONSchema, SchemaError>] = [:]
        for testCase in cases {
            let schema = compiled[testCase.schema] ?? Result { () throws(SchemaError) in
                try JSONSchema(testCase.schema, registry: TestSuiteFiles.registry)
            }
            compiled[testCase.schema] = schema
            let outcome: String?
            switch schema {
            case .failure(let error): outcome = "schema refused: \(error)"
            case .success(let schema):
                let errors = schema.validate(testCase.data)
                outcome = errors.isEmpty == testCase.valid ? nil : "expected \(testCase.valid ? "valid" : "invalid"), got \(errors)"
            }
            let key = testCase.group + " / " + testCase.description
            if let outcome {
                if tolerated.contains(key) { toleratedCount += 1 } else { failures.append("\(key): \(outcome)") }
            } else {
                passed += 1
            }
        }
        print("JSON-Schema-Test-Suite \(file): \(passed)/\(cases.count) passed" + (toleratedCount > 0 ? ", \(toleratedCount) known failures tolerated" : ""))
        return failures
    }
}
