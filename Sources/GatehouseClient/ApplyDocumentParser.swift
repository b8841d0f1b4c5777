import Foundation
import GatehouseModel
import Yams

extension ApplyDocument {
    /// Parses a declarative config file: a multi-document YAML stream, or JSON (one object, or
    /// an array of objects). Each document has `kind` (org, function, route, secret or
    /// identity-provider), `org` for everything but orgs, and the resource's own fields.
    ///
    /// Documents are decoded as strictly as the server decodes request bodies (an unknown field
    /// is an error naming it) and validated, so a file that parses here fails on the server only
    /// for reasons that need the server's state (references, conflicts). Empty documents are
    /// skipped. The result keeps file order; see `orderedForApply`.
    public static func parseAll(_ text: String) throws(ApplyDocumentError) -> [ApplyDocument] {
        let values = try documentValues(of: text)
        var documents: [ApplyDocument] = []
        var firstIndexByLabel: [String: Int] = [:]
        for (offset, value) in values.enumerated() {
            let index = offset + 1
            guard let value else { continue }
            let document: ApplyDocument
            do {
                document = try ApplyDocument(value)
            } catch {
                throw ApplyDocumentError(documentIndex: index, problem: error)
            }
            if let first = firstIndexByLabel[document.label] {
                throw ApplyDocumentError(
                    documentIndex: index,
                    problem: .badRequest("\(document.label) is already defined by document \(first)"))
            }
            firstIndexByLabel[document.label] = index
            documents.append(document)
        }
        return documents
    }

    /// The file's documents as JSON values, nil for an empty document (kept so that indexes in
    /// messages match the file).
    private static func documentValues(of text: String) throws(ApplyDocumentError) -> [JSONValue?] {
        if let json = try? jsonDocuments(of: text) { return json }
        var values: [JSONValue?] = []
        do {
            var nodes = try Yams.compose_all(yaml: text)
            while let node = nodes.next() {
                values.append(isEmptyDocument(node) ? nil : try YAMLConversion.jsonValue(from: node))
            }
            if let error = nodes.error { throw error }
        } catch let error as YAMLConversion.UnsupportedNode {
            throw ApplyDocumentError(documentIndex: values.count + 1, problem: .malformedJSON(error.description))
        } catch {
            throw ApplyDocumentError(
                documentIndex: values.count + 1, problem: .malformedJSON("not valid YAML: \(error)"))
        }
        return values
    }

    /// JSON input, recognised by its first character. Anything that is not valid JSON is left
    /// to the YAML parser, whose messages are better (and a YAML flow mapping also starts with `{`).
    private static func jsonDocuments(of text: String) throws -> [JSONValue?]? {
        guard let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[" else { return nil }
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        if case .array(let elements) = value { return elements }
        return [value]
    }

    private static func isEmptyDocument(_ node: Node) -> Bool {
        if case .scalar(let scalar) = node, YAMLConversion.resolvedTag(of: node) == .null || scalar.string.isEmpty { return true }
        return false
    }

    /// One document: `kind` picks the type, the rest is the resource.
    init(_ value: JSONValue) throws(Problem) {
        guard case .object(var members) = value else {
            throw Problem.badRequest("a document must be a mapping with 'kind' and the resource's fields")
        }
        let kindNames = ResourceKind.allCases.map(\.singular).joined(separator: ", ")
        guard let kindValue = members.removeValue(forKey: "kind") else {
            throw Problem.invalidField("kind", "missing 'kind' (one of \(kindNames))")
        }
        guard case .string(let kindName) = kindValue, let kind = ResourceKind(singular: kindName) else {
            throw Problem.invalidField("kind", "unknown kind \(Self.describe(kindValue)); use one of \(kindNames)")
        }
        let body: Data
        do {
            body = try JSONValue.object(members).jsonData
        } catch {
            throw Problem.malformedJSON("the document cannot be represented as JSON")
        }
        switch kind {
        case .org: self = .org(try Self.decode(Org.self, from: body))
        case .function: self = .function(try Self.decodeOrgScoped(Function.self, from: body))
        case .route: self = .route(try Self.decodeOrgScoped(Route.self, from: body))
        case .secret: self = .secret(try Self.decodeOrgScoped(Secret.self, from: body))
        case .identityProvider: self = .identityProvider(try Self.decodeOrgScoped(IdentityProvider.self, from: body))
        case .serviceAccount: self = .serviceAccount(try Self.decodeOrgScoped(ServiceAccount.self, from: body))
        case .apiKey: self = .apiKey(try Self.decodeOrgScoped(OrgAPIKey.self, from: body))
        case .policy: self = .policy(try Self.decodeOrgScoped(Policy.self, from: body))
        }
    }

    private static func decode<R: Resource>(_ type: R.Type, from body: Data) throws(Problem) -> R {
        let resource = try StrictJSON.decode(R.self, from: body)
        try resource.validate()
        return resource
    }

    private static func decodeOrgScoped<R: OrgScopedResource>(_ type: R.Type, from body: Data) throws(Problem) -> R {
        let resource = try decode(R.self, from: body)
        guard let org = resource.org else {
            throw Problem.invalidField("org", "a \(R.kind.singular) document needs 'org', the org that owns it")
        }
        try ResourceName.validate(org, field: "org")
        return resource
    }

    private static func describe(_ value: JSONValue) -> String {
        if case .string(let text) = value { return "'\(text.prefix(40))'" }
        return "(not a string)"
    }
}
