import Foundation

/// A `pattern` or `patternProperties` regular expression.
///
/// JSON Schema specifies ECMA-262 syntax; NSRegularExpression (ICU) accepts the common subset,
/// and the one difference schema authors routinely hit is fixed by rewriting: ECMA's `\d`, `\w`
/// and `\s` are ASCII digits, ASCII word characters and whitespace including U+FEFF, while ICU's
/// are Unicode-wide (`\d` would accept "৪২"). Known remaining differences: ICU accepts some syntax
/// ECMA rejects (possessive quantifiers, `\A`, `\Z`, inline flags), `\b` is Unicode-aware, and
/// `$` also matches before a final line terminator.
struct Pattern: @unchecked Sendable {
    // NSRegularExpression is immutable once created and documented as safe to share between
    // threads, which is what makes the `@unchecked Sendable` sound.
    let source: String
    private let expression: NSRegularExpression

    init?(_ source: String) {
        guard let expression = try? NSRegularExpression(pattern: Self.translated(source)) else { return nil }
        self.source = source
        self.expression = expression
    }

    /// Unanchored search, as ECMA-262's `RegExp.prototype.test`.
    func matches(_ string: String) -> Bool {
        expression.firstMatch(in: string, range: NSRange(string.startIndex..., in: string)) != nil
    }

    /// ICU set expressions for ECMA's class escapes; ICU allows nested sets, so they also work
    /// inside brackets (`[\d.]` becomes `[[0-9].]`).
    private static let classEscapes: [Character: String] = [
        "d": "[0-9]", "D": "[^0-9]",
        "w": "[A-Za-z0-9_]", "W": "[^A-Za-z0-9_]",
        "s": "[\\s\\uFEFF]", "S": "[^\\s\\uFEFF]",
    ]

    static func translated(_ source: String) -> String {
        var result = ""
        var escaping = false
        for character in source {
            if escaping {
                escaping = false
                if let replacement = classEscapes[character] {
                    result += replacement
                } else {
                    result += "\\" + String(character)
                }
            } else if character == "\\" {
                escaping = true
            } else {
                result.append(character)
            }
        }
        if escaping { result += "\\" }
        return result
    }
}
