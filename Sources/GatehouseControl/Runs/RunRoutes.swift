import Foundation
import GatehouseModel
import GatehouseStore
import Hummingbird

/// `GET /v1/orgs/{org}/runs[?function=NAME&limit=N&cursor=C]` (newest first) and
/// `GET /v1/orgs/{org}/runs/{id}`. Reading runs needs `runs:read` in the org.
///
/// Finished synchronous runs are written in batches; a read first writes the batch, so a run
/// whose response (and `x-gatehouse-run-id`) a client already has is always found.
enum RunRoutes {
    static let defaultPageSize = 50
    static let maxPageSize = 1_000

    static func register(on router: Router<AdminRequestContext>, runs service: RunService) {
        let store = service.store
        router.get("/v1/orgs/:org/runs") { request, context in
            let org = context.parameters.get("org") ?? ""
            try await requireOrg(org, store: store)
            let query = request.uri.queryParameters
            var limit = defaultPageSize
            if let raw = query.get("limit") {
                guard let value = Int(raw), (1...maxPageSize).contains(value) else {
                    throw Problem.badRequest("limit must be an integer from 1 to \(maxPageSize)")
                }
                limit = value
            }
            let function = query.get("function")
            if let function, !ResourceName.isValid(function) {
                throw Problem.badRequest("function must be a function's name")
            }
            let cursor = query.get("cursor")
            if let cursor, !Run.isValidID(cursor) { throw Problem.badRequest("cursor is not one this API issued") }
            await service.flush()
            let runs = try await store.runs(org: org, function: function, after: cursor, limit: limit + 1)
            let page = Array(runs.prefix(limit))
            return try JSONResponse.make(.ok, ListPage(items: page, nextCursor: runs.count > limit ? page.last?.id : nil))
        }
        router.get("/v1/orgs/:org/runs/:id") { _, context in
            let org = context.parameters.get("org") ?? ""
            let id = context.parameters.get("id") ?? ""
            try await requireOrg(org, store: store)
            await service.flush()
            guard Run.isValidID(id), let run = try await store.run(org: org, id: id) else {
                throw Problem.notFound("run '\(id.prefix(40))' does not exist in org '\(org)'")
            }
            return try JSONResponse.make(.ok, run)
        }
    }

    private static func requireOrg(_ org: String, store: any Store) async throws {
        guard ResourceName.isValid(org), try await store.read({ try $0.document(.org(org)) }) != nil else {
            throw Problem.notFound("org '\(org.prefix(63))' does not exist")
        }
    }
}
