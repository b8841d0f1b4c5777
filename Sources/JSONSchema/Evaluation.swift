/// Where an evaluation stands: in the instance, and along the keyword path that led there.
struct EvaluationPath {
    var instance: String
    var keyword: String

    func keyword(_ token: String) -> EvaluationPath {
        EvaluationPath(instance: instance, keyword: keyword + "/" + JSONPointer.escape(token))
    }

    func item(_ position: Int, keyword token: String? = nil) -> EvaluationPath {
        EvaluationPath(instance: instance + "/" + String(position), keyword: token.map { keyword + "/" + $0 } ?? keyword)
    }

    func member(_ name: String, keyword token: String? = nil) -> EvaluationPath {
        EvaluationPath(instance: instance + "/" + JSONPointer.escape(name), keyword: token.map { keyword + "/" + JSONPointer.escape($0) } ?? keyword)
    }
}

/// What a passing subschema reports about the parts of the instance it looked at, which the
/// unevaluated keywords of the schemas around it consume.
struct Annotations {
    var properties: Set<String> = []
    /// Items `0..<itemPrefix` were evaluated (by `prefixItems`, `items`, `unevaluatedItems`)…
    var itemPrefix = 0
    /// …and so were these (matched by `contains`).
    var items: Set<Int> = []

    func evaluated(item position: Int) -> Bool { position < itemPrefix || items.contains(position) }

    mutating func merge(_ other: Annotations) {
        properties.formUnion(other.properties)
        itemPrefix = max(itemPrefix, other.itemPrefix)
        items.formUnion(other.items)
    }
}

/// One validation run. It tracks the dynamic scope for `$dynamicRef`, and bounds the work: nesting
/// deeper than `maximumDepth` (a `$ref` loop, or a very deep instance) and more than `maximumSteps`
/// subschema applications (a schema built to explode combinatorially) end the run with an error
/// instead of a stack overflow or a hang.
struct Evaluation {
    /// Two applications per instance level (the schema, then the `$ref` it recurses through)
    /// lets a recursive schema follow an instance as deep as the parser accepts.
    static let maximumDepth = 2 * JSONValue.maximumDepth
    /// Real schemas apply a handful of subschemas per instance value, so this leaves room for
    /// bodies of tens of thousands of values while capping a crafted schema at a fraction of a second.
    static let maximumSteps = 250_000

    let schema: JSONSchema
    private(set) var errors: [ValidationError] = []
    /// Resources entered, outermost first.
    private(set) var scope: [Int] = []
    private var depth = 0
    private var steps = 0
    private var aborted = false
    /// Above zero while a subschema is only being tried (anyOf, not, contains, …): its failures are
    /// not reported, and it may stop at the first one.
    private var silence = 0

    init(schema: JSONSchema) { self.schema = schema }

    var isSilent: Bool { silence > 0 }

    mutating func silently<T>(_ body: (inout Evaluation) -> T) -> T {
        silence += 1
        defer { silence -= 1 }
        return body(&self)
    }

    /// Records an error at `path` and returns false, for `return condition || fail(…)`.
    mutating func fail(_ path: EvaluationPath, _ instance: JSONValue, _ message: @autoclosure () -> String) -> Bool {
        if !isSilent {
            errors.append(ValidationError(instanceLocation: path.instance, keywordLocation: path.keyword, message: message()))
        }
        return false
    }

    /// Applies a schema node; nil when the instance fails it, else the annotations it produced.
    mutating func evaluate(_ id: NodeID, _ instance: JSONValue, _ path: EvaluationPath) -> Annotations? {
        if aborted { return nil }
        steps += 1
        guard depth < Self.maximumDepth, steps <= Self.maximumSteps else {
            aborted = true
            // Reported even when silent: the verdict is "unknown", which must not pass as valid.
            errors.append(ValidationError(
                instanceLocation: path.instance, keywordLocation: path.keyword,
                message: depth >= Self.maximumDepth
                    ? "schema evaluation nests deeper than \(Self.maximumDepth) levels (recursive $ref?)"
                    : "schema evaluation exceeded its budget of \(Self.maximumSteps) steps"))
            return nil
        }
        let node = schema.nodes[id]
        let keywords: [CompiledKeyword]
        switch node.body {
        case .always(true): return Annotations()
        case .always(false): return fail(path, instance, "is not allowed here") ? Annotations() : nil
        case .keywords(let list): keywords = list
        }

        depth += 1
        let entersResource = scope.last != node.resource
        if entersResource { scope.append(node.resource) }
        defer {
            depth -= 1
            if entersResource { scope.removeLast() }
        }

        var annotations = Annotations()
        var valid = true
        for keyword in keywords {
            if !apply(keyword, instance, path, &annotations) {
                valid = false
                if isSilent || aborted { return nil }
            }
        }
        return valid ? annotations : nil
    }

    private mutating func apply(
        _ compiled: CompiledKeyword, _ instance: JSONValue, _ parent: EvaluationPath, _ annotations: inout Annotations
    ) -> Bool {
        let path = parent.keyword(compiled.name)
        switch compiled.keyword {
        case .ref(let target):
            return applyReference(target, instance, path, &annotations)
        case .dynamicRef(let target, let anchor):
            return applyDynamicReference(target, anchor: anchor, instance, path, &annotations)
        case .allOf, .anyOf, .oneOf, .not, .conditional, .dependentSchemas, .prefixItems, .items, .contains,
            .properties, .patternProperties, .additionalProperties, .propertyNames:
            return applyApplicator(compiled.keyword, instance, path, parent: parent, &annotations)
        case .unevaluatedItems, .unevaluatedProperties:
            return applyUnevaluated(compiled.keyword, instance, path, &annotations)
        case .type, .enumeration, .const, .multipleOf, .bound, .length, .pattern, .itemCount, .uniqueItems,
            .propertyCount, .required, .dependentRequired:
            return applyValidation(compiled.keyword, instance, path)
        }
    }
}
