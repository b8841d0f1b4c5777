import JSONSchema
import Testing

/// A hostile schema or instance must end in errors, never in a crash or a hang.
@Suite struct BoundsTests {
    @Test func referenceLoopEndsInAnError() throws {
        let errors = try JSONSchema(["$ref": "#"]).validate(1)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("deeper") == true)
    }

    @Test func mutualReferenceLoopEndsInAnError() throws {
        let schema = try JSONSchema(["$defs": ["a": ["$ref": "#/$defs/b"], "b": ["allOf": [["$ref": "#/$defs/a"]]]], "$ref": "#/$defs/a"])
        #expect(!schema.isValid(1))
    }

    @Test func deepInstanceWithRecursiveSchema() throws {
        let schema = try JSONSchema(["type": "array", "items": ["$ref": "#"]])
        let depth = JSONValue.maximumDepth
        let instance = try JSONValue.parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        #expect(schema.validate(instance).isEmpty)
        let wrong = try JSONValue.parse(String(repeating: "[", count: depth) + "1" + String(repeating: "]", count: depth))
        #expect(schema.validate(wrong).map(\.instanceLocation) == ["/" + Array(repeating: "0", count: depth).joined(separator: "/")])
    }

    @Test func combinatorialExplosionIsCutOff() throws {
        // Each level doubles the work: 2^40 applications without the step budget.
        var definitions: [String: JSONValue] = ["d40": ["type": "number"]]
        for level in 0..<40 {
            let next: JSONValue = ["$ref": .string("#/$defs/d\(level + 1)")]
            definitions["d\(level)"] = ["anyOf": [next, ["allOf": [next]]], "not": ["type": "null"]]
        }
        let schema = try JSONSchema(["$defs": .object(definitions), "$ref": "#/$defs/d0"])
        let errors = schema.validate("not a number")
        #expect(errors.contains { $0.message.contains("budget") })
    }

    @Test func sharedAcrossTasks() async throws {
        let schema = try JSONSchema(["type": "array", "items": ["type": "integer"]])
        let results = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<16 { group.addTask { schema.isValid([.number(JSONNumber(index))]) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results.allSatisfy { $0 })
    }
}
