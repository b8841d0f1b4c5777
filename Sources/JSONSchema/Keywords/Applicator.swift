/// Applicator vocabulary: keywords that apply subschemas to the instance or to its parts, and the
/// evaluated-items/properties annotations they produce for the unevaluated vocabulary.
extension Compiler {
    mutating func compileApplicator(
        _ members: [String: JSONValue], _ context: CompileContext, into keywords: inout [CompiledKeyword]
    ) throws(SchemaError) {
        func add(_ name: String, _ keyword: Keyword) { keywords.append(CompiledKeyword(name: name, keyword: keyword)) }

        if let value = members["allOf"] { add("allOf", .allOf(try schemaArray(value, "allOf", context))) }
        if let value = members["anyOf"] { add("anyOf", .anyOf(try schemaArray(value, "anyOf", context))) }
        if let value = members["oneOf"] { add("oneOf", .oneOf(try schemaArray(value, "oneOf", context))) }
        if let value = members["not"] { add("not", .not(try subschema(value, context, "not"))) }
        // `then` and `else` mean nothing without `if`, but are still compiled so references into them resolve.
        let then = try members["then"].map { value throws(SchemaError) in try subschema(value, context, "then") }
        let otherwise = try members["else"].map { value throws(SchemaError) in try subschema(value, context, "else") }
        if let value = members["if"] {
            add("if", .conditional(if: try subschema(value, context, "if"), then: then, else: otherwise))
        }
        if let value = members["dependentSchemas"] {
            add("dependentSchemas", .dependentSchemas(try schemaMap(value, "dependentSchemas", context)))
        }

        var prefixCount = 0
        if let value = members["prefixItems"] {
            let prefix = try schemaArray(value, "prefixItems", context)
            prefixCount = prefix.count
            add("prefixItems", .prefixItems(prefix))
        }
        if let value = members["items"] { add("items", .items(try subschema(value, context, "items"), from: prefixCount)) }
        if let value = members["contains"] {
            let minimum = try members["minContains"].map { value throws(SchemaError) in
                try nonNegativeInteger(value, "minContains", context)
            }
            let maximum = try members["maxContains"].map { value throws(SchemaError) in
                try nonNegativeInteger(value, "maxContains", context)
            }
            add("contains", .contains(try subschema(value, context, "contains"), minimum: minimum ?? 1, maximum: maximum))
        }

        var named: Set<String> = []
        if let value = members["properties"] {
            let properties = try schemaMap(value, "properties", context)
            named = Set(properties.map(\.0))
            add("properties", .properties(properties))
        }
        var patterns: [Pattern] = []
        if let value = members["patternProperties"] {
            var compiled: [(Pattern, NodeID)] = []
            for (source, schema) in try object(value, "patternProperties", context) {
                compiled.append((try pattern(source, context), try subschema(schema, context, "patternProperties", source)))
            }
            patterns = compiled.map(\.0)
            add("patternProperties", .patternProperties(compiled))
        }
        if let value = members["additionalProperties"] {
            let node = try subschema(value, context, "additionalProperties")
            add("additionalProperties", .additionalProperties(node, named: named, patterns: patterns))
        }
        if let value = members["propertyNames"] { add("propertyNames", .propertyNames(try subschema(value, context, "propertyNames"))) }
    }
}

extension Evaluation {
    /// Applies a subschema to a child of the instance. The child's own annotations stay with it:
    /// an item evaluated inside `/foo` says nothing about which properties of `/` were evaluated.
    private mutating func applyToChild(_ node: NodeID, _ child: JSONValue, _ path: EvaluationPath) -> Bool {
        evaluate(node, child, path) != nil
    }

    /// Applies one subschema to `instance` itself and keeps its annotations when it passes.
    private mutating func apply(_ node: NodeID, _ instance: JSONValue, _ path: EvaluationPath, _ annotations: inout Annotations) -> Bool {
        guard let result = evaluate(node, instance, path) else { return false }
        annotations.merge(result)
        return true
    }

    /// Applies each subschema in silence (their own failures are not the instance's errors) and
    /// returns which passed, merging the annotations of those that did.
    private mutating func trial(_ nodes: [NodeID], _ instance: JSONValue, _ path: EvaluationPath, _ annotations: inout Annotations) -> Int {
        var passed = 0
        for (position, node) in nodes.enumerated() {
            if let result = silently({ $0.evaluate(node, instance, path.keyword(String(position))) }) {
                passed += 1
                annotations.merge(result)
            }
        }
        return passed
    }

    mutating func applyApplicator(
        _ keyword: Keyword, _ instance: JSONValue, _ path: EvaluationPath, parent: EvaluationPath, _ annotations: inout Annotations
    ) -> Bool {
        switch keyword {
        case .allOf(let nodes):
            var valid = true
            for (position, node) in nodes.enumerated() where !apply(node, instance, path.keyword(String(position)), &annotations) {
                valid = false
                if isSilent { break }
            }
            return valid

        case .anyOf(let nodes):
            // Every branch runs, not just up to the first match: unevaluated* needs all their annotations.
            if trial(nodes, instance, path, &annotations) > 0 { return true }
            return fail(path, instance, "must match at least one of the anyOf schemas")

        case .oneOf(let nodes):
            var branchAnnotations = Annotations()
            let passed = trial(nodes, instance, path, &branchAnnotations)
            guard passed == 1 else {
                return fail(path, instance, "must match exactly one of the oneOf schemas, but matches \(passed)")
            }
            annotations.merge(branchAnnotations)
            return true

        case .not(let node):
            guard silently({ $0.evaluate(node, instance, path) }) != nil else { return true }
            return fail(path, instance, "must not match the schema in not")

        case .conditional(let condition, let then, let otherwise):
            if let result = silently({ $0.evaluate(condition, instance, path) }) {
                annotations.merge(result)
                return then.map { apply($0, instance, parent.keyword("then"), &annotations) } ?? true
            }
            return otherwise.map { apply($0, instance, parent.keyword("else"), &annotations) } ?? true

        case .dependentSchemas(let dependencies):
            guard case .object(let members) = instance else { return true }
            var valid = true
            for (name, node) in dependencies where members[name] != nil {
                valid = apply(node, instance, path.keyword(name), &annotations) && valid
            }
            return valid

        case .prefixItems(let nodes):
            guard case .array(let items) = instance else { return true }
            var valid = true
            for (position, (node, item)) in zip(nodes, items).enumerated() {
                valid = applyToChild(node, item, path.item(position, keyword: String(position))) && valid
            }
            annotations.itemPrefix = max(annotations.itemPrefix, min(nodes.count, items.count))
            return valid

        case .items(let node, let start):
            guard case .array(let items) = instance else { return true }
            var valid = true
            for position in items.indices.dropFirst(start) {
                valid = applyToChild(node, items[position], path.item(position)) && valid
                if !valid && isSilent { return false }
            }
            annotations.itemPrefix = items.count
            return valid

        case .contains(let node, let minimum, let maximum):
            guard case .array(let items) = instance else { return true }
            var matched = 0
            for (position, item) in items.enumerated() where silently({ $0.evaluate(node, item, path.item(position)) }) != nil {
                matched += 1
                annotations.items.insert(position)
            }
            if matched < minimum {
                return fail(path, instance, "must contain at least \(minimum) matching item\(minimum == 1 ? "" : "s"), but contains \(matched)")
            }
            if let maximum, matched > maximum {
                return fail(path, instance, "must contain at most \(maximum) matching item\(maximum == 1 ? "" : "s"), but contains \(matched)")
            }
            return true

        case .properties(let properties):
            guard case .object(let members) = instance else { return true }
            var valid = true
            for (name, node) in properties {
                guard let member = members[name] else { continue }
                valid = applyToChild(node, member, path.member(name, keyword: name)) && valid
                annotations.properties.insert(name)
                if !valid && isSilent { return false }
            }
            return valid

        case .patternProperties(let patterns):
            guard case .object(let members) = instance else { return true }
            var valid = true
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                for (pattern, node) in patterns where pattern.matches(name) {
                    valid = applyToChild(node, member, path.member(name, keyword: pattern.source)) && valid
                    annotations.properties.insert(name)
                }
                if !valid && isSilent { return false }
            }
            return valid

        case .additionalProperties(let node, let named, let patterns):
            guard case .object(let members) = instance else { return true }
            var valid = true
            for (name, member) in members.sorted(by: { $0.key < $1.key })
            where !named.contains(name) && !patterns.contains(where: { $0.matches(name) }) {
                valid = applyToChild(node, member, path.member(name)) && valid
                annotations.properties.insert(name)
                if !valid && isSilent { return false }
            }
            return valid

        case .propertyNames(let node):
            guard case .object(let members) = instance else { return true }
            var valid = true
            for name in members.keys.sorted() where silently({ $0.evaluate(node, .string(name), path) }) == nil {
                valid = fail(path.member(name, keyword: nil), .string(name), "property name \"\(name)\" does not match propertyNames")
            }
            return valid

        default:
            preconditionFailure("not an applicator keyword: \(keyword)")
        }
    }
}
