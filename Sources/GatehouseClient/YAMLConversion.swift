import Foundation
import Yams

/// Conversion between YAML nodes and JSON values, so YAML input can go through the same strict
/// JSON decoding the server applies, and output can be printed as YAML without a second encoder.
enum YAMLConversion {
    struct UnsupportedNode: Error, CustomStringConvertible {
        var description: String
    }

    /// The JSON value of a composed YAML node. Scalars keep the type YAML's core schema resolves
    /// for them (quoted scalars are always strings); anything else that is not a number, boolean
    /// or null (timestamps, for one) stays the string that was written, which is what the
    /// model's ISO-8601 decoding expects.
    static func jsonValue(from node: Node) throws(UnsupportedNode) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch resolvedTag(of: node) {
            case .null: return .null
            case .bool: if let value = node.bool { return .bool(value) }
            case .int: if let value = node.int { return .integer(Int64(value)) }
            case .float: if let value = node.float, value.isFinite { return .number(value) }
            default: break
            }
            return .string(scalar.string)
        case .sequence(let sequence):
            var elements: [JSONValue] = []
            for element in sequence { elements.append(try jsonValue(from: element)) }
            return .array(elements)
        case .mapping(let mapping):
            var members: [String: JSONValue] = [:]
            for (key, value) in mapping {
                guard case .scalar(let keyScalar) = key else {
                    throw UnsupportedNode(description: "mapping keys must be plain strings")
                }
                guard members[keyScalar.string] == nil else {
                    throw UnsupportedNode(description: "the key '\(keyScalar.string)' appears twice")
                }
                members[keyScalar.string] = try jsonValue(from: value)
            }
            return .object(members)
        case .alias:
            // The parser substitutes aliases with the anchored node; a bare alias cannot occur.
            throw UnsupportedNode(description: "unresolved YAML alias")
        }
    }

    /// The tag YAML's core schema resolves for a node (quoted scalars are always `str`).
    static func resolvedTag(of node: Node) -> Tag.Name {
        Tag.Name(rawValue: node.tag.rawValue)
    }

    /// The YAML node of a JSON value, keys sorted. Strings that YAML would read back as another
    /// type ("true", "123", a timestamp) are quoted so the round trip keeps them strings.
    static func node(from value: JSONValue) -> Node {
        switch value {
        case .null: return Node("null", Tag(.null))
        case .bool(let value): return Node(value ? "true" : "false", Tag(.bool))
        case .integer(let value): return Node(String(value), Tag(.int))
        case .number(let value): return Node(String(value), Tag(.float))
        case .string(let value): return .scalar(value.represented())
        case .array(let elements): return Node(elements.map(node(from:)))
        case .object(let members):
            return Node(members.sorted { $0.key < $1.key }.map { (.scalar($0.key.represented()), node(from: $0.value)) })
        }
    }
}
