import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseStore
import Hummingbird

/// The five operations of the admin API (list, create, get, put, delete) for one resource kind,
/// written once for all kinds; `ResourceRules` supplies what differs.
struct ResourceEndpoints<Rules: ResourceRules>: Sendable {
    typealias R = Rules.R
    let store: any Store
    let rules: Rules

    static var defaultPageSize: Int { 100 }
    static var maxPageSize: Int { 1000 }

    func register(on router: Router<AdminRequestContext>) {
        typealias Context = AdminRequestContext
        let scoped = R.kind != .org
        let collection = scoped ? "/v1/orgs/:org/\(R.kind.rawValue)" : "/v1/orgs"
        // Hummingbird's trie needs one parameter name per position: an org's own name is `:org`.
        let item = scoped ? "\(collection)/:name" : "/v1/orgs/:org"
        @Sendable func org(_ context: Context) -> String { scoped ? (context.parameters.get("org") ?? "") : "" }
        @Sendable func name(_ context: Context) -> String { context.parameters.get(scoped ? "name" : "org") ?? "" }

        router.get(RouterPath(stringLiteral: collection)) { request, context in
            try await list(org: org(context), request: request, principal: context.principal)
        }
        router.post(RouterPath(stringLiteral: collection)) { request, context in
            try await write(org: org(context), name: nil, request: request, mode: .create, principal: context.principal)
        }
        router.get(RouterPath(stringLiteral: item)) { _, context in
            try await get(org: org(context), name: name(context))
        }
        router.put(RouterPath(stringLiteral: item)) { request, context in
            try await write(org: org(context), name: name(context), request: request, mode: .put, principal: context.principal)
        }
        router.delete(RouterPath(stringLiteral: item)) { request, context in
            try await delete(org: org(context), name: name(context), request: request)
        }
    }

    // MARK: - Operations

    func list(org: String, request: Request, principal: Principal? = nil) async throws -> Response {
        let limit = try pageSize(request)
        let after = try request.uri.queryParameters.get("cursor").map(Cursor.decode)
        // A principal of one org sees that org only (`AdminAccess`).
        let onlyOrg = R.kind == .org ? principal?.org : nil
        let rules = self.rules
        let items: [R] = try await store.read { reader in
            try requireOrg(org, in: reader)
            let found: [R]
            if let onlyOrg {
                guard after.map({ onlyOrg > $0 }) ?? true else { return [] }
                found = try reader.resource(R.self, org: "", name: onlyOrg).map { [$0] } ?? []
            } else {
                found = try reader.resources(R.self, org: org, after: after, limit: limit + 1)
            }
            return try found.map { try rules.presented($0, in: reader) }
        }
        let page = Array(items.prefix(limit))
        let next = items.count > limit ? page.last.map { Cursor.encode($0.name) } : nil
        return try JSONResponse.make(.ok, ListPage(items: page, nextCursor: next))
    }

    func get(org: String, name: String) async throws -> Response {
        let rules = self.rules
        let found: R? = try await store.read { reader in
            try requireOrg(org, in: reader)
            return try reader.resource(R.self, org: org, name: name).map { try rules.presented($0, in: reader) }
        }
        guard let found else { throw notFound(org: org, name: name) }
        return try JSONResponse.make(.ok, found, etag: found.revision)
    }

    enum WriteMode { case create, put }

    func write(org: String, name: String?, request: Request, mode: WriteMode, principal: Principal? = nil) async throws -> Response {
        let body = try await JSONBody.read(request)
        let resource = try JSONBody.decode(R.self, from: body, pathName: name)
        try resource.validate()
        let preconditions = try Preconditions(request.headers)
        let rules = self.rules
        let (saved, created, shownOnce): (R, Bool, [String: String]) = try await store.write { writer in
            try requireOrg(org, in: writer)
            let key = try ResourceCoding.key(R.self, org: org, name: resource.name)
            let existing = try writer.document(key)
            if R.kind == .org, existing == nil, let principal, principal.kind != .platformAdmin {
                throw Problem.forbidden("only the platform admin creates orgs")
            }
            if mode == .create, existing != nil {
                throw Problem.conflict("\(R.kind.singular) '\(resource.name)' already exists", with: resource.name)
            }
            try preconditions.check(existingRevision: existing?.revision)
            var resource = resource
            var shownOnce: [String: String] = [:]
            if existing == nil { (resource, shownOnce) = try rules.created(resource, org: org) }
            try rules.checkWrite(resource, org: org, in: writer)
            let (storable, sealed) = try rules.storable(resource, org: org, existing: existing)
            // A PUT of exactly what is stored writes nothing: the revision stays, so `apply -f`
            // of an unchanged file reports `unchanged` and no new snapshot is built.
            if let existing, sealed == existing.sealed, try ResourceCoding.encode(storable, key: key) == existing.body {
                return (try rules.presented(try ResourceCoding.decode(existing, as: R.self), in: writer), false, [:])
            }
            let saved = try writer.save(storable, org: org, sealed: sealed)
            return (try rules.presented(saved, in: writer), existing == nil, shownOnce)
        }
        var headers: HTTPFields = [:]
        if created { headers[.location] = location(org: org, name: saved.name) }
        // Members shown once (a new API key) join the create response, and no other.
        let shown = WithMembers(value: saved, members: created ? shownOnce : [:])
        if created, !shownOnce.isEmpty { headers[.cacheControl] = "no-store" }
        return try JSONResponse.make(created ? .created : .ok, shown, etag: saved.revision, headers: headers)
    }

    func delete(org: String, name: String, request: Request) async throws -> Response {
        let preconditions = try Preconditions(request.headers)
        let rules = self.rules
        let removed: Bool = try await store.write { writer in
            try requireOrg(org, in: writer)
            guard let existing = try writer.resource(R.self, org: org, name: name) else { return false }
            try preconditions.check(existingRevision: existing.revision)
            try rules.checkDelete(existing, org: org, in: writer)
            try writer.delete(ResourceCoding.key(R.self, org: org, name: name))
            return true
        }
        guard removed else { throw notFound(org: org, name: name) }
        return Response(status: .noContent)
    }

    // MARK: - Helpers

    private func requireOrg(_ org: String, in reader: any StoreReader) throws {
        guard R.kind != .org else { return }
        guard try reader.document(.org(org)) != nil else { throw Problem.notFound("org '\(org)' does not exist") }
    }

    private func notFound(org: String, name: String) -> Problem {
        R.kind == .org
            ? .notFound("org '\(name)' does not exist")
            : .notFound("\(R.kind.singular) '\(name)' does not exist in org '\(org)'")
    }

    private func location(org: String, name: String) -> String {
        R.kind == .org ? "/v1/orgs/\(name)" : "/v1/orgs/\(org)/\(R.kind.rawValue)/\(name)"
    }

    private func pageSize(_ request: Request) throws -> Int {
        guard let raw = request.uri.queryParameters.get("limit") else { return Self.defaultPageSize }
        guard let limit = Int(raw), (1...Self.maxPageSize).contains(limit) else {
            throw Problem.badRequest("limit must be an integer from 1 to \(Self.maxPageSize)")
        }
        return limit
    }
}

struct ListPage<Item: Encodable>: Encodable {
    var items: [Item]
    var nextCursor: String?
}

/// A resource encoded with extra top-level members.
struct WithMembers<Value: Encodable>: Encodable {
    var value: Value
    var members: [String: String]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    func encode(to encoder: any Encoder) throws {
        try value.encode(to: encoder)
        guard !members.isEmpty else { return }
        var container = encoder.container(keyedBy: Key.self)
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            try container.encode(member, forKey: Key(stringValue: name))
        }
    }
}
