import JSONSchema
import Testing

@Suite struct ValidationErrorTests {
    private let schema: JSONValue = [
        "type": "object",
        "required": ["items"],
        "properties": [
            "items": [
                "type": "array",
                "maxItems": 2,
                "items": ["$ref": "#/$defs/item"],
            ],
            "a/b~c": ["type": "string"],
        ],
        "additionalProperties": false,
        "$defs": [
            "item": [
                "type": "object",
                "required": ["name"],
                "properties": ["name": ["type": "string", "maxLength": 10]],
            ]
        ],
    ]

    @Test func locatesErrorsByPointer() throws {
        let errors = try JSONSchema(schema).validate(["items": [["name": "abcdefghijkl"], [:]]])
        #expect(errors == [
            ValidationError(
                instanceLocation: "/items/0/name", keywordLocation: "/properties/items/items/$ref/properties/name/maxLength",
                message: "must be at most 10 characters long"),
            ValidationError(
                instanceLocation: "/items/1", keywordLocation: "/properties/items/items/$ref/required",
                message: "must have required property \"name\""),
        ])
    }

    @Test func escapesPointerTokens() throws {
        let errors = try JSONSchema(schema).validate(["items": [], "a/b~c": 1, "x": true])
        #expect(errors.map(\.instanceLocation) == ["/a~1b~0c", "/x"])
        #expect(errors.map(\.keywordLocation) == ["/properties/a~1b~0c/type", "/additionalProperties"])
        #expect(errors.map(\.message) == ["must be of type string, but is number", "is not allowed here"])
    }

    @Test func reportsEveryError() throws {
        let errors = try JSONSchema(schema).validate(["items": [1, 2, 3]])
        // Applicators run before assertions, so the items' errors come first.
        #expect(errors.map(\.message) == [
            "must be of type object, but is number", "must be of type object, but is number", "must be of type object, but is number",
            "must have at most 2 items",
        ])
        #expect(errors.map(\.instanceLocation) == ["/items/0", "/items/1", "/items/2", "/items"])
    }

    @Test func validInstanceHasNoErrors() throws {
        #expect(try JSONSchema(schema).validate(["items": [["name": "ok"]]]).isEmpty)
    }

    @Test func refusesBadSchemas() {
        #expect(throws: SchemaError.self) { try JSONSchema(["pattern": "("]) }
        #expect(throws: SchemaError.self) { try JSONSchema(["$ref": "#/$defs/missing"]) }
        #expect(throws: SchemaError.self) { try JSONSchema(["$ref": "http://example.com/elsewhere.json"]) }
        #expect(throws: SchemaError.self) { try JSONSchema(["minLength": "3"]) }
        #expect(throws: SchemaError.self) { try JSONSchema(["type": "text"]) }
        #expect(throws: SchemaError.self) { try JSONSchema(["$schema": "http://json-schema.org/draft-07/schema#"]) }
        #expect(throws: SchemaError.self) { try JSONSchema(42) }
    }

    @Test func resolvesRegisteredDocuments() throws {
        var registry = SchemaRegistry()
        registry.register(["$defs": ["name": ["type": "string", "minLength": 1]]], as: "https://schemas.example/common.json")
        let schema = try JSONSchema(["properties": ["name": ["$ref": "https://schemas.example/common.json#/$defs/name"]]], registry: registry)
        #expect(schema.validate(["name": ""]).map(\.message) == ["must be at least 1 character long"])
    }
}
