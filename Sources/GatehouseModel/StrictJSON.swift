import Foundation

/// Decoding of request bodies that refuses what it does not understand.
///
/// `JSONDecoder` silently drops unknown members, so a typo (`"timoutMs"`) would be accepted and
/// ignored. Here the decoded value is encoded again and every member of the input must survive
/// the round trip; the first one that does not is reported with its path. Explicit `null`s are
/// allowed for optional members.
public enum StrictJSON {
    public static let maxDepth = 64

    public static func decode<T: Codable>(_ type: T.Type, from data: Data) throws(Problem) -> T {
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
