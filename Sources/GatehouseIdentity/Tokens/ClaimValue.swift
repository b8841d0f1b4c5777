import Foundation

/// A JSON value from a token's header or claims, kept as is so that mapping rules (a custom
/// groups claim, a nested `realm_access.roles`, ...) can read any member the issuer put there.
public enum ClaimValue: Sendable, Equatable, Hashable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case array([ClaimValue])
    case object([String: ClaimValue])
    case null

    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    public var numberValue: Double? {
        if case .number(let value) = self { value } else { nil }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { value } else { nil }
    }

    public var objectValue: [String: ClaimValue]? {
        if case .object(let value) = self { value } else { nil }
    }

    /// A claim naming several things or one (`groups`, `roles`): the array of strings, the one
    /// string, or nothing for any other value.
    public var names: [String] {
        if case .string(let one) = self { return [one] }
        return stringArrayValue ?? []
    }

    /// An array whose elements are all strings, or nil.
    public var stringArrayValue: [String]? {
        guard case .array(let elements) = self else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let string) = element else { return nil }
            strings.append(string)
        }
        return strings
    }
}

extension ClaimValue: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ClaimValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ClaimValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .number(let value):
            // Whole numbers (every NumericDate) are written without a fraction.
            if value.rounded() == value, abs(value) < 9_007_199_254_740_992 {
                try container.encode(Int64(value))
            } else {
                try container.encode(value)
            }
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }
}

extension ClaimValue {
    /// A JSON object, or nil for anything else (including invalid JSON).
    static func decodeObject(_ bytes: [UInt8]) -> [String: ClaimValue]? {
        try? JSONDecoder().decode([String: ClaimValue].self, from: Data(bytes))
    }

    /// The object as JSON, keys sorted.
    static func encodeObject(_ object: [String: ClaimValue]) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a tree of plain JSON values cannot fail except for NaN/infinity, which the
        // decoder never produces.
        return (try? encoder.encode(object)) ?? Data("{}".utf8)
    }
}
