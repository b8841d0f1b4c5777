import Foundation
import Yams

/// The admin API's OpenAPI description, kept as YAML in the repository (`openapi.yaml`) and
/// served as JSON at `/v1/openapi.json`. Converted once at start.
struct OpenAPIDocument: Sendable {
    let json: Data

    static func load() throws -> OpenAPIDocument {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let yaml = try String(contentsOf: url, encoding: .utf8)
        let object = jsonCompatible(try Yams.load(yaml: yaml) ?? [:])
        return OpenAPIDocument(json: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    /// YAML allows non-string keys (`200:`); JSON does not.
    private static func jsonCompatible(_ value: Any) -> Any {
        switch value {
        case let dictionary as [AnyHashable: Any]:
            var object: [String: Any] = [:]
            for (key, member) in dictionary { object["\(key.base)"] = jsonCompatible(member) }
            return object
        case let dictionary as [String: Any]:
            return dictionary.mapValues(jsonCompatible)
        case let array as [Any]:
            return array.map(jsonCompatible)
        default:
            return value
        }
    }
}
