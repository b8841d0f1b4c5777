/// The draft 2020-12 vocabularies. A meta-schema's `$vocabulary` chooses which of them a schema
/// uses; keywords of a vocabulary left out are ignored like unknown keywords.
enum Vocabulary: String, Sendable, CaseIterable {
    case core, applicator, unevaluated, validation, metaData = "meta-data"
    case formatAnnotation = "format-annotation", formatAssertion = "format-assertion", content

    var uri: String { "https://json-schema.org/draft/2020-12/vocab/" + rawValue }

    /// What a schema without `$schema`, or with one whose meta-schema lists no `$vocabulary`, gets:
    /// everything but format assertion, which 2020-12 makes opt-in.
    static let defaults: Set<Vocabulary> = Set(allCases).subtracting([.formatAssertion])

    /// Vocabularies this validator evaluates; `formatAssertion` is recognised but not implemented,
    /// so a meta-schema that requires it is refused rather than silently weakened.
    static let implemented: Set<Vocabulary> = defaults

    /// The vocabularies a meta-schema declares, or the defaults when it declares none.
    static func declared(by metaSchema: JSONValue, location: String) throws(SchemaError) -> Set<Vocabulary> {
        guard case .object(let members) = metaSchema, case .object(let declared)? = members["$vocabulary"] else {
            return defaults
        }
        var result: Set<Vocabulary> = [.core]
        for (uri, required) in declared {
            if let vocabulary = allCases.first(where: { $0.uri == uri }), implemented.contains(vocabulary) {
                result.insert(vocabulary)
            } else if required == .bool(true) {
                throw .unsupportedVocabulary(location: location, uri: uri)
            }
        }
        return result
    }
}
