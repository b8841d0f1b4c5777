import Foundation
import JSONSchema
import Testing

@Suite struct JSONValueTests {
    private func number(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

    @Test func numbersCompareMathematically() throws {
        #expect(try number("1") == number("1.0"))
        #expect(try number("-0") == number("0.0e5"))
        #expect(try number("1e2") == number("100"))
        #expect(try number("12345678901234567890123456789") != number("12345678901234567890123456788"))
        #expect(try Set([number("1"), number("1.00"), number("10e-1")]).count == 1)
    }

    @Test func objectMemberOrderDoesNotMatter() throws {
        #expect(try JSONValue.parse(#"{"a":1,"b":[true,null]}"#) == JSONValue.parse(#"{"b":[true,null],"a":1.0}"#))
    }

    @Test func stringsCompareByCodePoints() throws {
        // Swift's String == would call these equal (canonical equivalence); JSON Schema does not.
        #expect(JSONValue.string("\u{E9}") != JSONValue.string("e\u{301}"))
    }

    @Test func integersIncludeIntegralDecimals() throws {
        let schema = try JSONSchema(["type": "integer"])
        #expect(schema.isValid(try number("1.0")))
        #expect(schema.isValid(try number("1e400")))
        #expect(!schema.isValid(try number("1.5")))
        #expect(!schema.isValid(try number("1e-400")))
    }

    @Test func multipleOfIsExact() throws {
        #expect(try JSONSchema(["multipleOf": number("0.0001")]).isValid(number("0.0075")))
        #expect(try JSONSchema(["multipleOf": number("0.1")]).isValid(number("0.3")))  // 0.3 / 0.1 is 2.9999… in Double
        #expect(try JSONSchema(["multipleOf": number("0.5")]).isValid(number("1e308")))
        #expect(try !JSONSchema(["multipleOf": 3]).isValid(number("10")))
        #expect(try !JSONSchema(["multipleOf": number("0.01")]).isValid(number("0.005")))
    }

    @Test func bigNumbersCompareExactly() throws {
        let schema = try JSONSchema(["maximum": number("18446744073709551615")])
        #expect(schema.isValid(try number("18446744073709551615")))
        #expect(!schema.isValid(try number("18446744073709551616")))
        #expect(!schema.isValid(try number("1e400")))
        #expect(schema.isValid(try number("-1e400")))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONValue.parse(#""a\"\\\/\n\u00e9\ud83d\ude00""#) == .string("a\"\\/\n\u{E9}\u{1F600}"))
    }

    @Test(arguments: [
        "", "[1,]", "{\"a\":1,}", "01", "1.", ".5", "+1", "NaN", "'a'", "[1] 2", "\"\\ud800\"", "\"\\udc00x\"",
        "\"a\u{01}\"", "{\"a\":1,\"a\":2}", "1e99999999999", "tru", "{\"a\" 1}",
    ])
    func refusesMalformedJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(text) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Data([0x22, 0xC3, 0x28, 0x22])) }
    }

    @Test func boundsNesting() throws {
        let depth = JSONValue.maximumDepth
        #expect(throws: Never.self) { try JSONValue.parse(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) }
        #expect(throws: JSONParseError.self) {
            try JSONValue.parse(String(repeating: "[", count: depth + 2) + String(repeating: "]", count: depth + 2))
        }
        // Unterminated nesting far past the bound fails fast instead of overflowing the stack.
        #expect(throws: JSONParseError.self) { try JSONValue.parse(String(repeating: "[", count: 1_000_000)) }
    }
}
