/// Unevaluated vocabulary: applies a subschema to the items/properties that no sibling keyword
/// (nor any subschema that passed, through `$ref`, `allOf`, `if`, …) has evaluated.
extension Compiler {
    mutating func compileUnevaluated(
        _ members: [String: JSONValue], _ context: CompileContext, into keywords: inout [CompiledKeyword]
    ) throws(SchemaError) {
        if let value = members["unevaluatedItems"] {
            keywords.append(CompiledKeyword(name: "unevaluatedItems", keyword: .unevaluatedItems(try subschema(value, context, "unevaluatedItems"))))
        }
        if let value = members["unevaluatedProperties"] {
            keywords.append(CompiledKeyword(
                name: "unevaluatedProperties", keyword: .unevaluatedProperties(try subschema(value, context, "unevaluatedProperties"))))
        }
    }
}

extension Evaluation {
    mutating func applyUnevaluated(_ keyword: Keyword, _ instance: JSONValue, _ path: EvaluationPath, _ annotations: inout Annotations) -> Bool {
        var valid = true
        switch (keyword, instance) {
        case (.unevaluatedItems(let node), .array(let items)):
            for position in items.indices where !annotations.evaluated(item: position) {
                valid = evaluate(node, items[position], path.item(position)) != nil && valid
                if !valid && isSilent { return false }
            }
            annotations.itemPrefix = items.count
        case (.unevaluatedProperties(let node), .object(let members)):
            for (name, member) in members.sorted(by: { $0.key < $1.key }) where !annotations.properties.contains(name) {
                valid = evaluate(node, member, path.member(name)) != nil && valid
                annotations.properties.insert(name)
                if !valid && isSilent { return false }
            }
        default:
            break
        }
        return valid
    }
}
