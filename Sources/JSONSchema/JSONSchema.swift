/// A compiled JSON Schema (draft 2020-12), ready to validate any number of instances from any thread.
///
/// Compilation resolves every `$ref` (against the schema itself, the registry and the bundled
/// meta-schemas) up front, so a schema that compiles cannot fail on a dangling reference later.
public struct JSONSchema: Sendable {
    let nodes: [SchemaNode]
    let resources: [SchemaResource]
    let root: NodeID

    public init(_ schema: JSONValue, registry: SchemaRegistry = .init()) throws(SchemaError) {
        var compiler = Compiler(registry: registry)
        root = try compiler.compileDocument(schema, uri: "")
        try compiler.resolveReferences()
        nodes = compiler.nodes
        resources = compiler.resources
    }

    /// Every error found; empty when the instance is valid.
    public func validate(_ instance: JSONValue) -> [ValidationError] {
        var evaluation = Evaluation(schema: self)
        _ = evaluation.evaluate(root, instance, EvaluationPath(instance: "", keyword: ""))
        return evaluation.errors
    }

    public func isValid(_ instance: JSONValue) -> Bool {
        var evaluation = Evaluation(schema: self)
        return evaluation.silently { $0.evaluate(root, instance, EvaluationPath(instance: "", keyword: "")) } != nil
    }
}
