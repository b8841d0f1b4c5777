import Foundation
import GatehouseModel

/// A JSON value as a typed tree.
///
/// Documents move between YAML, JSON and the model types through this tree rather than through
/// Foundation's `Any`, whose numbers and booleans are indistinguishable on Linux (`true` and `1`
/// both arrive as `NSNumber`), which would make a YAML `1` and `true` look alike.
enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// The JSON form of any encodable value, through the model's own encoder (ISO-8601 dates,
    /// the same member names the server uses).
    init<T: Encodable>(encoding value: T) throws {
        let data = try StrictJSON.encoder.encode(value)
        self = try JSONDecoder().decode(JSONValue.self, from: data)
    }

    var jsonData: Data {
        get throws { try StrictJSON.encoder.encode(self) }
    }
}

extension JSONValue: Codable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}
