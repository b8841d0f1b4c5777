/// Position of a node in `CompiledSchema.nodes`. Nodes refer to each other by index rather than
/// by reference so that recursive schemas (`$ref: "#"`) need no reference cycles and the whole
/// compiled form stays a plain `Sendable` value.
typealias NodeID = Int

/// A schema (object or boolean) after compilation: its keywords in evaluation order.
struct SchemaNode: Sendable {
    enum Body: Sendable {
        case always(Bool)
        case keywords([CompiledKeyword])
    }

    var body: Body
    /// The schema resource (`$id` scope) the node belongs to; entering it extends the dynamic scope.
    var resource: Int
}

/// One schema resource: its URI and the `$dynamicAnchor`s it defines, which `$dynamicRef` searches.
struct SchemaResource: Sendable {
    var uri: String
    var dynamicAnchors: [String: NodeID] = [:]
}

struct CompiledKeyword: Sendable {
    /// The keyword as written, for the error's keyword location.
    var name: String
    var keyword: Keyword
}

/// Every keyword that affects validation, with its operands resolved at compile time. Keywords
/// that only annotate (`title`, `format`, `contentMediaType`, …) compile to nothing.
enum Keyword: Sendable {
    // Core
    case ref(NodeID)
    /// The statically resolved target, and the anchor name to look up in the dynamic scope when
    /// that target was a `$dynamicAnchor` (otherwise the reference behaves like `$ref`).
    case dynamicRef(NodeID, dynamicAnchor: String?)

    // Applicator
    case allOf([NodeID])
    case anyOf([NodeID])
    case oneOf([NodeID])
    case not(NodeID)
    case conditional(if: NodeID, then: NodeID?, else: NodeID?)
    case dependentSchemas([(String, NodeID)])
    case prefixItems([NodeID])
    /// `items` applies to the elements after the sibling `prefixItems`.
    case items(NodeID, from: Int)
    case contains(NodeID, minimum: Int, maximum: Int?)
    case properties([(String, NodeID)])
    case patternProperties([(Pattern, NodeID)])
    /// `additionalProperties` applies to the members its sibling `properties` and `patternProperties` do not.
    case additionalProperties(NodeID, named: Set<String>, patterns: [Pattern])
    case propertyNames(NodeID)

    // Unevaluated (always ordered after every other keyword of the same schema)
    case unevaluatedItems(NodeID)
    case unevaluatedProperties(NodeID)

    // Validation
    case type([String])
    case enumeration([JSONValue])
    case const(JSONValue)
    case multipleOf(JSONNumber)
    case bound(JSONNumber, Bound)
    case length(Int, isMaximum: Bool)
    case pattern(Pattern)
    case itemCount(Int, isMaximum: Bool)
    case uniqueItems
    case propertyCount(Int, isMaximum: Bool)
    case required([String])
    case dependentRequired([(String, [String])])

    enum Bound: Sendable {
        case minimum, exclusiveMinimum, maximum, exclusiveMaximum
    }
}
