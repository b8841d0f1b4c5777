/// Why a schema cannot be compiled. Each case names the schema location (an absolute URI with a
/// JSON Pointer fragment) so the author can find the fault.
public enum SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A schema is neither an object nor a boolean, or a keyword's value has the wrong shape.
    case invalidKeyword(location: String, reason: String)
    /// `$ref` or `$dynamicRef` names nothing in the schema, its registry or the bundled meta-schemas.
    case unresolvedReference(location: String, reference: String)
    /// `$schema` names a meta-schema that is neither bundled nor registered.
    case unknownMetaSchema(location: String, uri: String)
    /// The meta-schema requires (`true`) a vocabulary this validator does not implement.
    case unsupportedVocabulary(location: String, uri: String)
    /// `pattern` or a `patternProperties` key is not a regular expression NSRegularExpression accepts.
    case invalidPattern(location: String, pattern: String)
    /// The schema nests deeper than `JSONValue.maximumDepth`.
    case tooDeep(location: String)

    public var description: String {
        switch self {
        case .invalidKeyword(let location, let reason): "\(location): \(reason)"
        case .unresolvedReference(let location, let reference): "\(location): cannot resolve reference \(reference)"
        case .unknownMetaSchema(let location, let uri): "\(location): unknown meta-schema \(uri)"
        case .unsupportedVocabulary(let location, let uri): "\(location): required vocabulary \(uri) is not supported"
        case .invalidPattern(let location, let pattern): "\(location): invalid regular expression \(pattern)"
        case .tooDeep(let location): "\(location): schema nests deeper than \(JSONValue.maximumDepth)"
        }
    }
}
