import Foundation
import GatehouseModel
import Yams

/// Renders resources in an `OutputFormat`. Everything is redacted for display first.
///
/// - table: NAME, ORG (for org-scoped kinds), the kind's detail columns, REVISION, AGE.
/// - json: exactly the resource's JSON as the API returns it; a list is a JSON array of items.
/// - yaml: apply documents (`kind:` plus the resource), `---`-separated, so that output can be
///   edited and fed back to `gatehouse apply -f`.
public struct OutputRenderer: Sendable {
    public var format: OutputFormat
    /// The reference point for AGE; injectable so tables are testable.
    public var now: Date

    public init(format: OutputFormat, now: Date = Date()) {
        self.format = format
        self.now = now
    }

    public func render<R: DisplayableResource>(_ resource: R) throws -> String {
        switch format {
        case .table, .yaml: try render([resource])
        case .json: try Self.json(JSONValue(encoding: resource.redactedForDisplay()))
        }
    }

    public func render<R: DisplayableResource>(_ resources: [R]) throws -> String {
        let shown = resources.map { $0.redactedForDisplay() }
        switch format {
        case .table: return table(shown).rendered
        case .json: return try Self.json(.array(shown.map(JSONValue.init(encoding:))))
        case .yaml: return try Self.yaml(shown.map { try Self.applyDocument($0) })
        }
    }

    /// A value that is not a resource (the server's version) as JSON or YAML; a table is the
    /// caller's, so `table` gives the JSON.
    public func render(plain value: some Encodable) throws -> String {
        let json = try JSONValue(encoding: value)
        return format == .yaml ? try Self.yaml([json]) : try Self.json(json)
    }

    /// The table of resources of one kind.
    public func table<R: DisplayableResource>(_ resources: [R]) -> TextTable {
        let isOrgScoped = R.kind != .org
        var headers = ["NAME"]
        if isOrgScoped { headers.append("ORG") }
        headers += R.detailColumns.map(\.header) + ["REVISION", "AGE"]
        let rows = resources.map { resource in
            var cells = [resource.name]
            if isOrgScoped { cells.append((resource as? any OrgScopedResource)?.org ?? "") }
            cells += R.detailColumns.map { $0.cell(resource) }
            cells += [resource.revision.map(String.init) ?? "", TableCell.age(since: resource.createdAt, now: now)]
            return cells
        }
        return TextTable(headers: headers, rows: rows)
    }

    /// Written resources of several kinds (what `apply` stored), in the order given. Tables
    /// cannot mix kinds, so `table` prints one line per resource instead.
    public func renderMixed(_ documents: [ApplyDocument]) throws -> String {
        let values = try documents.map(Self.jsonValue(of:))
        switch format {
        case .table: return documents.map(\.label).joined(separator: "\n") + (documents.isEmpty ? "" : "\n")
        case .json: return try Self.json(.array(values))
        case .yaml:
            return try Self.yaml(zip(documents, values).map { document, value in
                Self.tagged(value, kind: document.kind)
            })
        }
    }

    // MARK: - Encodings

    static func json(_ value: JSONValue) throws -> String {
        // The pretty printer writes an empty array over two lines.
        if value == .array([]) { return "[]\n" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }

    static func yaml(_ documents: [JSONValue]) throws -> String {
        try Yams.serialize(
            nodes: documents.map(YAMLConversion.node(from:)), explicitStart: documents.count > 1, sortKeys: true)
    }

    static func applyDocument<R: DisplayableResource>(_ resource: R) throws -> JSONValue {
        tagged(try JSONValue(encoding: resource), kind: R.kind)
    }

    static func tagged(_ value: JSONValue, kind: ResourceKind) -> JSONValue {
        guard case .object(var members) = value else { return value }
        members["kind"] = .string(kind.singular)
        return .object(members)
    }

    static func jsonValue(of document: ApplyDocument) throws -> JSONValue {
        switch document {
        case .org(let org): try JSONValue(encoding: org.redactedForDisplay())
        case .function(let function): try JSONValue(encoding: function.redactedForDisplay())
        case .route(let route): try JSONValue(encoding: route.redactedForDisplay())
        case .secret(let secret): try JSONValue(encoding: secret.redactedForDisplay())
        case .identityProvider(let provider): try JSONValue(encoding: provider.redactedForDisplay())
        case .serviceAccount(let account): try JSONValue(encoding: account.redactedForDisplay())
        case .apiKey(let apiKey): try JSONValue(encoding: apiKey.redactedForDisplay())
        case .policy(let policy): try JSONValue(encoding: policy.redactedForDisplay())
        }
    }
}
