/// Schema documents that `$ref` and `$schema` may name by URI, so references resolve without
/// any network access. The draft 2020-12 meta-schemas are always available on top of these.
public struct SchemaRegistry: Sendable {
    private var documents: [String: JSONValue] = [:]

    public init() {}

    /// Makes `schema` retrievable as `uri` (an absolute URI; a trailing empty fragment is ignored).
    public mutating func register(_ schema: JSONValue, as uri: String) {
        documents[URIReference.splitFragment(uri).resource] = schema
    }

    /// The document known as `uri`: a registered one first, else a bundled meta-schema.
    func document(at uri: String) -> JSONValue? {
        let resource = URIReference.splitFragment(uri).resource
        return documents[resource] ?? MetaSchemas.parsed[resource]
    }
}

extension MetaSchemas {
    /// Parsed once per process; the sources are fixed text known to be valid JSON.
    static let parsed: [String: JSONValue] = documents.mapValues { text in
        do { return try JSONValue.parse(text) } catch { preconditionFailure("bundled meta-schema: \(error)") }
    }
}
