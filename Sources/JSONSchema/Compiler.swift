import Foundation

/// Where the compiler stands in a schema document.
struct CompileContext {
    var baseURI: String
    var resource: Int
    /// The JSON Pointer tokens from the root of each enclosing schema resource down to here,
    /// innermost last, so a pointer fragment resolves against any of them.
    var scopes: [(uri: String, tokens: [String])]
    var vocabularies: Set<Vocabulary>
    var depth: Int

    /// `uri#/pointer` of the current location, for error messages.
    var location: String {
        guard let scope = scopes.last else { return baseURI }
        return scope.uri + "#" + JSONPointer.string(scope.tokens)
    }

    func descending(_ tokens: [String]) -> CompileContext {
        var context = self
        context.depth += tokens.count
        for index in context.scopes.indices { context.scopes[index].tokens.append(contentsOf: tokens) }
        return context
    }
}

/// Turns schema documents into `SchemaNode`s, indexing every resource, anchor and subschema
/// location by URI, then patches each `$ref` with the node it names. References to documents not
/// yet compiled are loaded from the registry on demand, so compilation never needs the network.
struct Compiler {
    let registry: SchemaRegistry
    private(set) var nodes: [SchemaNode] = []
    private(set) var resources: [SchemaResource] = []
    private var resourceIDs: [String: Int] = [:]
    /// `resource-uri#fragment` → node, with pointer fragments in unencoded, RFC 6901-escaped form.
    private var index: [String: NodeID] = [:]
    /// Each resource's raw JSON, for pointers into places no keyword compiles (e.g. unknown keywords).
    private var rawResources: [String: (schema: JSONValue, context: CompileContext)] = [:]
    private var pending: [PendingReference] = []

    private struct PendingReference {
        var node: NodeID
        var keyword: Int
        var uri: String
        var location: String
    }

    init(registry: SchemaRegistry) { self.registry = registry }

    /// Compiles a whole document retrieved as `uri` (empty for an anonymous root).
    mutating func compileDocument(_ schema: JSONValue, uri: String) throws(SchemaError) -> NodeID {
        let context = CompileContext(
            baseURI: uri, resource: addResource(uri), scopes: [(uri, [])], vocabularies: Vocabulary.defaults, depth: 0)
        rawResources[uri] = (schema, context)
        return try compile(schema, context)
    }

    mutating func compile(_ schema: JSONValue, _ outer: CompileContext) throws(SchemaError) -> NodeID {
        var context = outer
        guard context.depth <= JSONValue.maximumDepth else { throw .tooDeep(location: context.location) }
        if case .bool(let value) = schema {
            return register(SchemaNode(body: .always(value), resource: context.resource), context)
        }
        guard case .object(let members) = schema else {
            throw .invalidKeyword(location: context.location, reason: "a schema must be an object or a boolean")
        }
        if let metaSchema = members["$schema"] {
            guard case .string(let uri) = metaSchema else { throw invalid(context, "$schema must be a string") }
            guard let document = registry.document(at: uri) else { throw .unknownMetaSchema(location: context.location, uri: uri) }
            context.vocabularies = try Vocabulary.declared(by: document, location: context.location)
        }
        if let id = members["$id"] {
            guard case .string(let reference) = id else { throw invalid(context, "$id must be a string") }
            let uri = URIReference.splitFragment(URIReference.resolve(reference, against: context.baseURI)).resource
            if uri != context.baseURI {
                context.baseURI = uri
                context.resource = addResource(uri)
                context.scopes.append((uri, []))
                rawResources[uri] = (schema, context)
            }
        }
        let node = register(SchemaNode(body: .always(true), resource: context.resource), context)
        var keywords: [CompiledKeyword] = []
        // Unevaluated keywords go last: they depend on the annotations of all their siblings.
        try compileCore(members, context, node: node, into: &keywords)
        if context.vocabularies.contains(.applicator) { try compileApplicator(members, context, into: &keywords) }
        if context.vocabularies.contains(.validation) { try compileValidation(members, context, into: &keywords) }
        if context.vocabularies.contains(.unevaluated) { try compileUnevaluated(members, context, into: &keywords) }
        nodes[node].body = .keywords(keywords)
        return node
    }

    /// Compiles a subschema found at `tokens` below the current location.
    mutating func subschema(_ schema: JSONValue, _ context: CompileContext, _ tokens: String...) throws(SchemaError) -> NodeID {
        try compile(schema, context.descending(tokens))
    }

    func invalid(_ context: CompileContext, _ reason: String) -> SchemaError {
        .invalidKeyword(location: context.location, reason: reason)
    }

    private mutating func addResource(_ uri: String) -> Int {
        if let existing = resourceIDs[uri] { return existing }
        resources.append(SchemaResource(uri: uri))
        resourceIDs[uri] = resources.count - 1
        return resources.count - 1
    }

    private mutating func register(_ node: SchemaNode, _ context: CompileContext) -> NodeID {
        nodes.append(node)
        let id = nodes.count - 1
        for scope in context.scopes {
            let key = scope.uri + "#" + JSONPointer.string(scope.tokens)
            if index[key] == nil { index[key] = id }
        }
        return id
    }

    /// Records a plain-name fragment (`$anchor`, `$dynamicAnchor`) for `node`.
    mutating func addAnchor(_ name: String, node: NodeID, _ context: CompileContext, dynamic: Bool) {
        let key = context.baseURI + "#" + name
        if index[key] == nil { index[key] = node }
        if dynamic, resources[context.resource].dynamicAnchors[name] == nil {
            resources[context.resource].dynamicAnchors[name] = node
        }
    }

    /// Queues `reference` (resolved against the base URI) for patching into `keywords[keyword]` of `node`.
    mutating func deferReference(_ reference: String, node: NodeID, keyword: Int, _ context: CompileContext) {
        let uri = URIReference.resolve(reference, against: context.baseURI)
        pending.append(PendingReference(node: node, keyword: keyword, uri: uri, location: context.location))
    }

    /// Patches every queued reference; resolving one may compile further documents and queue more.
    mutating func resolveReferences() throws(SchemaError) {
        while let reference = pending.popLast() {
            let target = try lookup(reference.uri, from: reference.location)
            guard case .keywords(var keywords) = nodes[reference.node].body else { continue }
            switch keywords[reference.keyword].keyword {
            case .ref:
                keywords[reference.keyword].keyword = .ref(target)
            case .dynamicRef:
                // Only a reference that lands on a `$dynamicAnchor` of the same name is dynamic.
                let (resource, fragment) = URIReference.splitFragment(reference.uri)
                let isDynamic = resourceIDs[resource].map { resources[$0].dynamicAnchors[fragment] != nil } ?? false
                keywords[reference.keyword].keyword = .dynamicRef(target, dynamicAnchor: isDynamic ? fragment : nil)
            default:
                continue
            }
            nodes[reference.node].body = .keywords(keywords)
        }
    }

    private mutating func lookup(_ uri: String, from location: String) throws(SchemaError) -> NodeID {
        let (resource, fragment) = URIReference.splitFragment(uri)
        let pointer = JSONPointer.tokens(ofFragment: fragment)
        let key = resource + "#" + (pointer.map(JSONPointer.string) ?? (fragment.removingPercentEncoding ?? fragment))
        if let node = index[key] { return node }
        if resourceIDs[resource] == nil, let document = registry.document(at: resource) {
            _ = try compileDocument(document, uri: resource)
            if let node = index[key] { return node }
        }
        // A pointer into a part of the document no keyword compiled, such as an unknown keyword's value.
        if let tokens = pointer, let (root, context) = rawResources[resource], let target = root.descendant(tokens) {
            var inner = context
            inner.depth += tokens.count
            inner.scopes = [(resource, tokens)]
            return try compile(target, inner)
        }
        throw .unresolvedReference(location: location, reference: uri)
    }
}

extension JSONValue {
    /// The value a JSON Pointer's tokens lead to, if any.
    func descendant(_ tokens: [String]) -> JSONValue? {
        var current = self
        for token in tokens {
            switch current {
            case .object(let members):
                guard let next = members[token] else { return nil }
                current = next
            case .array(let items):
                guard let position = Int(token), items.indices.contains(position) else { return nil }
                current = items[position]
            default:
                return nil
            }
        }
        return current
    }
}
