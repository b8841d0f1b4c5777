import Foundation
import JSONSchema

/// Decoding of request bodies that refuses what it does not understand.
///
/// The text must be RFC 8259 JSON as `JSONValue.parse` reads it (no byte order mark, trailing
/// comma or comment; no member named twice, since readers disagree on which one wins: with
/// `"accept"` twice a route's auth could be read as public) and no string may hold a NUL.
/// `JSONDecoder` silently drops unknown members, so a typo (`"timoutMs"`) would be accepted and
/// ignored. Here the decoded value is encoded again and every member of the input must survive
/// the round trip; the first one that does not is reported with its path. Explicit `null`s are
/// allowed for optional members.
public enum StrictJSON {
    public static let maxDepth = 64

    public static func decode<T: Codable>(_ type: T.Type, from data: Data) throws(Problem) -> T {
        try checkSyntax(data)
        let raw: Any
        do {
            raw = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw Problem.malformedJSON("the body is not valid JSON")
        }
        guard raw is [String: Any] else { throw Problem.malformedJSON("the body must be a JSON object") }
        try checkDepth(raw, depth: 0)
        let value: T
        do {
            value = try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw problem(for: error)
        } catch {
            throw Problem.malformedJSON("the body could not be decoded")
        }
        let echoed: Any
        do {
            echoed = try JSONSerialization.jsonObject(with: try encoder.encode(value), options: [.fragmentsAllowed])
        } catch {
            throw Problem.internalError("could not re-encode the request")
        }
        if let unknown = firstUnknownMember(input: raw, echoed: echoed, path: "") {
            throw Problem.unknownField(unknown)
        }
        return value
    }

    /// Refuses a body that is not one strict JSON object: a problem names the member named twice
    /// (its field, and its JSON pointer in `errors`) or the string holding a NUL.
    public static func checkSyntax(_ data: Data) throws(Problem) {
        if data.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw Problem.malformedJSON("the body starts with a byte order mark (U+FEFF); send JSON without one (RFC 8259 §8.1)")
        }
        let value: JSONValue
        do {
            value = try JSONValue.parse(data)
        } catch {
            guard error.reason.hasPrefix("duplicate member name") else {
                throw Problem.malformedJSON("the body is not valid JSON: \(error.reason) at byte \(error.offset)")
            }
            let field = fieldPath(pointer: error.pointer)
            let message = "'\(field)' is given twice; give each member once"
            throw Problem(
                slug: "invalid-field", title: "Invalid field", status: 400, detail: message, field: field,
                errors: [.init(pointer: error.pointer, message: message)])
        }
        guard case .object = value else { throw Problem.malformedJSON("the body must be a JSON object") }
        if let field = firstStringWithNUL(in: value, path: "") {
            throw Problem.invalidField(field, "'\(field)' contains a NUL character (\\u0000), which no field accepts")
        }
    }

    /// `auth.accept`, `paths[1]` (the form problems name fields in) of an RFC 6901 pointer.
    private static func fieldPath(pointer: String) -> String {
        pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst().reduce(into: "") { result, token in
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if !name.isEmpty, name.allSatisfy(\.isNumber) {
                result += "[\(name)]"
            } else {
                result += result.isEmpty ? name : ".\(name)"
            }
        }
    }

    private static func firstStringWithNUL(in value: JSONValue, path: String) -> String? {
        switch value {
        case .string(let text): return text.utf8.contains(0) ? path : nil
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = firstStringWithNUL(in: item, path: "\(path)[\(index)]") { return found }
            }
        case .object(let members):
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                let memberPath = path.isEmpty ? name : "\(path).\(name)"
                if name.utf8.contains(0) { return memberPath }
                if let found = firstStringWithNUL(in: member, path: memberPath) { return found }
            }
        default: break
        }
        return nil
    }

    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    private static func checkDepth(_ value: Any, depth: Int) throws(Problem) {
        guard depth < maxDepth else { throw Problem.malformedJSON("the body nests deeper than \(maxDepth) levels") }
        if let object = value as? [String: Any] {
            for member in object.values { try checkDepth(member, depth: depth + 1) }
        } else if let array = value as? [Any] {
            for element in array { try checkDepth(element, depth: depth + 1) }
        }
    }

    private static func firstUnknownMember(input: Any, echoed: Any?, path: String) -> String? {
        if let object = input as? [String: Any] {
            let known = echoed as? [String: Any] ?? [:]
            for key in object.keys.sorted() {
                let member = object[key]!
                let memberPath = path.isEmpty ? key : "\(path).\(key)"
                if member is NSNull { continue }
                guard let echoedMember = known[key] else { return memberPath }
                if let found = firstUnknownMember(input: member, echoed: echoedMember, path: memberPath) {
                    return found
                }
            }
        } else if let array = input as? [Any] {
            let known = echoed as? [Any] ?? []
            for (index, element) in array.enumerated() {
                let echoedElement: Any? = index < known.count ? known[index] : nil
                if let found = firstUnknownMember(input: element, echoed: echoedElement, path: "\(path)[\(index)]") {
                    return found
                }
            }
        }
        return nil
    }

    private static func problem(for error: DecodingError) -> Problem {
        func path(_ context: DecodingError.Context, _ extra: CodingKey? = nil) -> String {
            var keys = context.codingPath
            if let extra { keys.append(extra) }
            return keys.reduce(into: "") { result, key in
                if let index = key.intValue {
                    result += "[\(index)]"
                } else {
                    result += result.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            let field = path(context, key)
            return Problem.invalidField(field, "missing required field '\(field)'")
        case .typeMismatch(let type, let context):
            let field = path(context)
            return Problem.invalidField(field, "'\(field)' must be \(describe(type))")
        case .valueNotFound(let type, let context):
            let field = path(context)
            return Problem.invalidField(field, "'\(field)' must be \(describe(type)), not null")
        case .dataCorrupted(let context):
            let field = path(context)
            if field.isEmpty { return Problem.malformedJSON("the body is not valid JSON") }
            return Problem.invalidField(field, "'\(field)' has an invalid value: \(context.debugDescription)")
        @unknown default:
            return Problem.malformedJSON("the body could not be decoded")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is Double.Type: "a number"
        case is [Any].Type: "an array"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : (String(describing: type).hasPrefix("Dictionary") ? "an object" : "a valid value")
        }
    }
}
