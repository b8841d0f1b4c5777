/// Core vocabulary: identification (`$anchor`, `$dynamicAnchor`, `$defs`) and references
/// (`$ref`, `$dynamicRef`). `$id`, `$schema` and `$vocabulary` are handled by the compiler itself.
extension Compiler {
    mutating func compileCore(
        _ members: [String: JSONValue], _ context: CompileContext, node: NodeID, into keywords: inout [CompiledKeyword]
    ) throws(SchemaError) {
        for (name, dynamic) in [("$anchor", false), ("$dynamicAnchor", true)] {
            guard let value = members[name] else { continue }
            guard case .string(let anchor) = value else { throw invalid(context, "\(name) must be a string") }
            addAnchor(anchor, node: node, context, dynamic: dynamic)
        }
        if let definitions = members["$defs"] {
            // Compiled for their side effect: definitions are only reached through references.
            _ = try schemaMap(definitions, "$defs", context)
        }
        for name in ["$ref", "$dynamicRef"] {
            guard let value = members[name] else { continue }
            guard case .string(let reference) = value else { throw invalid(context, "\(name) must be a string") }
            deferReference(reference, node: node, keyword: keywords.count, context)
            let placeholder: Keyword = name == "$ref" ? .ref(-1) : .dynamicRef(-1, dynamicAnchor: nil)
            keywords.append(CompiledKeyword(name: name, keyword: placeholder))
        }
    }
}

extension Evaluation {
    mutating func applyReference(
        _ target: NodeID, _ instance: JSONValue, _ path: EvaluationPath, _ annotations: inout Annotations
    ) -> Bool {
        guard let result = evaluate(target, instance, path) else { return false }
        annotations.merge(result)
        return true
    }

    /// The target is the outermost resource in the dynamic scope that defines the anchor, so an
    /// extending schema can override a `$dynamicAnchor` of the schema it builds on.
    mutating func applyDynamicReference(
        _ target: NodeID, anchor: String?, _ instance: JSONValue, _ path: EvaluationPath, _ annotations: inout Annotations
    ) -> Bool {
        var resolved = target
        if let anchor {
            for resource in scope {
                if let node = schema.resources[resource].dynamicAnchors[anchor] {
                    resolved = node
                    break
                }
            }
        }
        return applyReference(resolved, instance, path, &annotations)
    }
}
