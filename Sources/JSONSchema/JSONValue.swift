/// A JSON document as the validator sees it.
///
/// Objects are dictionaries, so two objects that differ only in member order are equal, as
/// `enum`, `const` and `uniqueItems` require. Numbers are `JSONNumber`s, which compare
/// mathematically (`1 == 1.0`) and keep every digit of the source text.
public enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])
}

/// Equality is JSON Schema's (§4.2.2): strings are equal when their code points are, which is
/// stricter than Swift's `String ==` (canonical equivalence would make "é" and "e\u{301}" equal).
/// Member names are still compared as Swift strings by the object dictionaries.
extension JSONValue: Hashable {
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): true
        case (.bool(let left), .bool(let right)): left == right
        case (.number(let left), .number(let right)): left == right
        case (.string(let left), .string(let right)): left.utf8.elementsEqual(right.utf8)
        case (.array(let left), .array(let right)): left == right
        case (.object(let left), .object(let right)): left == right
        default: false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .bool(let value): hasher.combine(value)
        case .number(let value): hasher.combine(value)
        case .string(let value):
            hasher.combine(value.utf8.count)
            for byte in value.utf8 { hasher.combine(byte) }
        case .array(let items): hasher.combine(items)
        case .object(let members): hasher.combine(members)
        }
    }
}

extension JSONValue {
    /// The instance type names of the data model (`"integer"` is not one of them: see `isInteger`).
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    /// A short rendering for messages; containers are summarised rather than printed, so a huge
    /// instance cannot blow up an error message.
    var summary: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .number(let value): value.description
        case .string(let value):
            value.unicodeScalars.count > 40 ? "\"\(String(value.unicodeScalars.prefix(40)))…\"" : "\"\(value)\""
        case .array(let items): "an array of \(items.count) items"
        case .object(let members): "an object with \(members.count) properties"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
