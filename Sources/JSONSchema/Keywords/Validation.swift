/// Validation vocabulary: assertions about the instance itself.
extension Compiler {
    mutating func compileValidation(
        _ members: [String: JSONValue], _ context: CompileContext, into keywords: inout [CompiledKeyword]
    ) throws(SchemaError) {
        func add(_ name: String, _ keyword: Keyword) { keywords.append(CompiledKeyword(name: name, keyword: keyword)) }
        func count(_ name: String) throws(SchemaError) -> Int? {
            try members[name].map { value throws(SchemaError) in try nonNegativeInteger(value, name, context) }
        }

        if let value = members["type"] {
            let names: [String]
            if case .string(let name) = value { names = [name] } else { names = try strings(value, "type", context) }
            let known: Set<String> = ["null", "boolean", "object", "array", "number", "string", "integer"]
            guard !names.isEmpty, names.allSatisfy(known.contains) else { throw invalid(context, "type names an unknown type") }
            add("type", .type(names))
        }
        if let value = members["enum"] {
            guard case .array(let values) = value else { throw invalid(context, "enum must be an array") }
            add("enum", .enumeration(values))
        }
        if let value = members["const"] { add("const", .const(value)) }
        if let value = members["multipleOf"] {
            let divisor = try number(value, "multipleOf", context)
            guard divisor > JSONNumber(0) else { throw invalid(context, "multipleOf must be greater than 0") }
            add("multipleOf", .multipleOf(divisor))
        }
        let bounds: [(String, Keyword.Bound)] = [
            ("minimum", .minimum), ("exclusiveMinimum", .exclusiveMinimum), ("maximum", .maximum), ("exclusiveMaximum", .exclusiveMaximum),
        ]
        for (name, bound) in bounds {
            if let value = members[name] { add(name, .bound(try number(value, name, context), bound)) }
        }
        if let limit = try count("minLength") { add("minLength", .length(limit, isMaximum: false)) }
        if let limit = try count("maxLength") { add("maxLength", .length(limit, isMaximum: true)) }
        if let value = members["pattern"] {
            guard case .string(let source) = value else { throw invalid(context, "pattern must be a string") }
            add("pattern", .pattern(try pattern(source, context)))
        }
        if let limit = try count("minItems") { add("minItems", .itemCount(limit, isMaximum: false)) }
        if let limit = try count("maxItems") { add("maxItems", .itemCount(limit, isMaximum: true)) }
        if let value = members["uniqueItems"] {
            guard case .bool(let unique) = value else { throw invalid(context, "uniqueItems must be a boolean") }
            if unique { add("uniqueItems", .uniqueItems) }
        }
        if let limit = try count("minProperties") { add("minProperties", .propertyCount(limit, isMaximum: false)) }
        if let limit = try count("maxProperties") { add("maxProperties", .propertyCount(limit, isMaximum: true)) }
        if let value = members["required"] { add("required", .required(try strings(value, "required", context))) }
        if let value = members["dependentRequired"] {
            var dependencies: [(String, [String])] = []
            for (name, required) in try object(value, "dependentRequired", context) {
                dependencies.append((name, try strings(required, "dependentRequired", context)))
            }
            add("dependentRequired", .dependentRequired(dependencies))
        }
    }
}

extension Evaluation {
    mutating func applyValidation(_ keyword: Keyword, _ instance: JSONValue, _ path: EvaluationPath) -> Bool {
        switch (keyword, instance) {
        case (.type(let names), _):
            if names.contains(where: { instance.hasType($0) }) { return true }
            let expected = names.count == 1 ? names[0] : "one of " + names.joined(separator: ", ")
            return fail(path, instance, "must be of type \(expected), but is \(instance.typeName)")

        case (.enumeration(let values), _):
            if values.contains(instance) { return true }
            return fail(path, instance, "must be one of " + values.prefix(10).map(\.summary).joined(separator: ", ") + (values.count > 10 ? ", …" : ""))

        case (.const(let value), _):
            return value == instance || fail(path, instance, "must be equal to \(value.summary)")

        case (.multipleOf(let divisor), .number(let number)):
            return number.isMultiple(of: divisor) || fail(path, instance, "must be a multiple of \(divisor)")

        case (.bound(let limit, let bound), .number(let number)):
            switch bound {
            case .minimum: return number >= limit || fail(path, instance, "must be greater than or equal to \(limit)")
            case .exclusiveMinimum: return number > limit || fail(path, instance, "must be greater than \(limit)")
            case .maximum: return number <= limit || fail(path, instance, "must be less than or equal to \(limit)")
            case .exclusiveMaximum: return number < limit || fail(path, instance, "must be less than \(limit)")
            }

        case (.length(let limit, let isMaximum), .string(let string)):
            // Length is in Unicode code points (draft 2020-12 §6.3.1), not UTF-16 units or graphemes.
            let length = string.unicodeScalars.count
            if isMaximum ? length <= limit : length >= limit { return true }
            return fail(path, instance, "must be at \(isMaximum ? "most" : "least") \(limit) character\(limit == 1 ? "" : "s") long")

        case (.pattern(let pattern), .string(let string)):
            return pattern.matches(string) || fail(path, instance, "must match the pattern \(pattern.source)")

        case (.itemCount(let limit, let isMaximum), .array(let items)):
            if isMaximum ? items.count <= limit : items.count >= limit { return true }
            return fail(path, instance, "must have at \(isMaximum ? "most" : "least") \(limit) item\(limit == 1 ? "" : "s")")

        case (.uniqueItems, .array(let items)):
            // JSONValue's equality is the schema's (1 == 1.0, member order ignored), so hashing finds duplicates.
            var seen: [JSONValue: Int] = [:]
            for (position, item) in items.enumerated() {
                if let first = seen.updateValue(position, forKey: item) {
                    return fail(path, instance, "must not contain duplicate items (items \(first) and \(position) are equal)")
                }
            }
            return true

        case (.propertyCount(let limit, let isMaximum), .object(let members)):
            if isMaximum ? members.count <= limit : members.count >= limit { return true }
            return fail(path, instance, "must have at \(isMaximum ? "most" : "least") \(limit) propert\(limit == 1 ? "y" : "ies")")

        case (.required(let names), .object(let members)):
            var valid = true
            for name in names where members[name] == nil {
                valid = fail(path, instance, "must have required property \"\(name)\"")
            }
            return valid

        case (.dependentRequired(let dependencies), .object(let members)):
            var valid = true
            for (name, required) in dependencies where members[name] != nil {
                for dependency in required where members[dependency] == nil {
                    valid = fail(path, instance, "must have property \"\(dependency)\" when \"\(name)\" is present")
                }
            }
            return valid

        default:
            // The keyword does not apply to this instance type.
            return true
        }
    }
}

extension JSONValue {
    /// Whether the instance is of the named JSON Schema type; `integer` includes `1.0`.
    func hasType(_ name: String) -> Bool {
        switch (name, self) {
        case ("integer", .number(let number)): number.isInteger
        default: typeName == name
        }
    }
}
