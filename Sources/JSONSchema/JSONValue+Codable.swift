import Foundation

/// JSON values travel inside resources (a function's `schema.in` / `schema.out`), so they code
/// through `Codable` too. Numbers keep their decimal text: an integer decodes exactly, anything
/// else through `Decimal`, whose text the value's own parser reads back.
extension JSONValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .number(JSONNumber(value))
        } else if let value = try? container.decode(Decimal.self) {
            guard case .number(let number)? = try? JSONValue.parse(value.description) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "unrepresentable number")
            }
            self = .number(number)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if let integer = Int(value.description) {
                try container.encode(integer)
            } else if let decimal = Decimal(string: value.description) {
                try container.encode(decimal)
            } else {
                try container.encode(Double(value.description) ?? 0)
            }
        case .string(let value): try container.encode(value)
        case .array(let items): try container.encode(items)
        case .object(let members): try container.encode(members)
        }
    }
}
