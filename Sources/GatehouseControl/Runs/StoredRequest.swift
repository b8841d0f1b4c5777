import Foundation
import GatehouseRuntimes

/// An accepted asynchronous run's request as the runs table keeps it until the run ends: enough
/// to invoke the function again after a restart (the caller, not their credential).
struct StoredRequest: Codable {
    var method: String
    var path: String
    var query: String
    var headers: [[String]]
    var body: Data
    var requestId: String
    var route: String?
    var caller: Caller?

    init(_ request: InvocationRequest) {
        method = request.method
        path = request.path
        query = request.query
        // The identity token would be expired by the time a queued run starts; the runs
        // service signs no new one, so it is not kept.
        headers = request.headers.filter { $0.name.lowercased() != "x-gatehouse-identity" }.map { [$0.name, $0.value] }
        body = Data(request.body)
        requestId = request.context.requestId
        route = request.context.route
        caller = request.context.caller
        caller?.identityToken = nil
    }

    func invocation(runId: String, org: String, function: String, timeoutMs: Int) -> InvocationRequest {
        InvocationRequest(
            method: method, path: path, query: query,
            headers: headers.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil }, body: [UInt8](body),
            context: InvocationContext(
                runId: runId, requestId: requestId, org: org, function: function, route: route, caller: caller,
                timeoutMs: timeoutMs, isAsync: true))
    }
}
