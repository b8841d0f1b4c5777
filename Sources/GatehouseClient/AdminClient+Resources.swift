import Foundation
import GatehouseModel

/// The resource operations of the admin API, generic over the kinds. `org` is required for
/// org-scoped kinds and ignored for orgs.
extension AdminClient {
    /// One page of a collection, ordered by name.
    public func list<R: Resource>(
        _ type: R.Type, org: String? = nil, cursor: String? = nil, limit: Int? = nil
    ) async throws -> Page<R> {
        var query: [(String, String)] = []
        if let cursor { query.append(("cursor", cursor)) }
        if let limit { query.append(("limit", String(limit))) }
        let response = try await send(.get, path: ResourcePath.collection(R.kind, org: org), query: query)
        return try decode(Page<R>.self, from: response, what: "a page of \(R.kind.rawValue)")
    }

    /// Every item of a collection, following cursors to the last page.
    public func listAll<R: Resource>(_ type: R.Type, org: String? = nil) async throws -> [R] {
        var items: [R] = []
        var cursor: String?
        var seenCursors: Set<String> = []
        repeat {
            let page = try await list(R.self, org: org, cursor: cursor, limit: 1000)
            items += page.items
            cursor = page.nextCursor
            // A server that hands out the same cursor twice would otherwise keep us here forever.
            if let cursor, !seenCursors.insert(cursor).inserted {
                throw AdminClientError.invalidResponse("the server repeated the cursor '\(cursor)'")
            }
        } while cursor != nil
        return items
    }

    public func get<R: Resource>(_ type: R.Type, named name: String, org: String? = nil) async throws -> R {
        let response = try await send(.get, path: ResourcePath.item(R.kind, name: name, org: org))
        return try decode(R.self, from: response, what: "the \(R.kind.singular)")
    }

    /// Creates the resource; the server answers 409 if the name is taken.
    public func create<R: Resource>(_ resource: R, org: String? = nil) async throws -> R {
        let response = try await send(
            .post, path: ResourcePath.collection(R.kind, org: org), body: try requestBody(resource))
        return try decode(R.self, from: response, what: "the created \(R.kind.singular)")
    }

    /// Creates or replaces the resource. With `ifMatch`, only if its revision is still that one
    /// (412 otherwise).
    public func put<R: Resource>(_ resource: R, org: String? = nil, ifMatch revision: Int64? = nil) async throws
        -> PutResult<R>
    {
        let path = try ResourcePath.item(R.kind, name: resource.name, org: org)
        let response = try await send(.put, path: path, body: try requestBody(resource), ifMatch: revision)
        let stored = try decode(R.self, from: response, what: "the stored \(R.kind.singular)")
        return PutResult(resource: stored, created: response.status == 201)
    }

    /// Deletes the resource; 404 when absent. With `ifMatch`, only if its revision is still that one.
    public func delete<R: Resource>(
        _ type: R.Type, named name: String, org: String? = nil, ifMatch revision: Int64? = nil
    ) async throws {
        _ = try await send(.delete, path: ResourcePath.item(R.kind, name: name, org: org), ifMatch: revision)
    }

    /// The body the server stores: server-managed fields (revision, timestamps, org) left out,
    /// since the path and the server decide those.
    private func requestBody<R: Resource>(_ resource: R) throws -> Data {
        try StrictJSON.encoder.encode(resource.normalizedForStorage())
    }
}
