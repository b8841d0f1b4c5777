/// Readers for keyword operands that throw a `SchemaError` naming the keyword when the shape is wrong.
extension Compiler {
    func nonNegativeInteger(_ value: JSONValue, _ name: String, _ context: CompileContext) throws(SchemaError) -> Int {
        // `1.0` is an integer too; anything beyond Int is as good as unbounded.
        guard case .number(let number) = value, number.isInteger, !number.negative else {
            throw invalid(context, "\(name) must be a non-negative integer")
        }
        return Int(number.description) ?? Int.max
    }

    func number(_ value: JSONValue, _ name: String, _ context: CompileContext) throws(SchemaError) -> JSONNumber {
        guard case .number(let number) = value else { throw invalid(context, "\(name) must be a number") }
        return number
    }

    func strings(_ value: JSONValue, _ name: String, _ context: CompileContext) throws(SchemaError) -> [String] {
        guard case .array(let items) = value else { throw invalid(context, "\(name) must be an array of strings") }
        return try items.map { item throws(SchemaError) in
            guard case .string(let string) = item else { throw invalid(context, "\(name) must be an array of strings") }
            return string
        }
    }

    func object(_ value: JSONValue, _ name: String, _ context: CompileContext) throws(SchemaError) -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = value else { throw invalid(context, "\(name) must be an object") }
        // Sorted, so that compiled keywords and hence error order do not depend on hashing.
        return members.sorted { $0.key < $1.key }
    }

    func pattern(_ source: String, _ context: CompileContext) throws(SchemaError) -> Pattern {
        guard let pattern = Pattern(source) else { throw .invalidPattern(location: context.location, pattern: source) }
        return pattern
    }

    /// Compiles a non-empty array of subschemas (`allOf`, `prefixItems`, …).
    mutating func schemaArray(_ value: JSONValue, _ name: String, _ context: CompileContext) throws(SchemaError) -> [NodeID] {
        guard case .array(let items) = value, !items.isEmpty else { throw invalid(context, "\(name) must be a non-empty array of schemas") }
        var nodes: [NodeID] = []
        for (position, item) in items.enumerated() { nodes.append(try subschema(item, context, name, String(position))) }
        return nodes
    }

    /// Compiles an object whose member values are subschemas (`properties`, `$defs`, …).
    mutating func schemaMap(_ value: JSONValue, _ name: String, _ context: CompileContext) throws(SchemaError) -> [(String, NodeID)] {
        var nodes: [(String, NodeID)] = []
        for (key, member) in try object(value, name, context) { nodes.append((key, try subschema(member, context, name, key))) }
        return nodes
    }
}
