import Foundation
import GatehouseModel
import GatehouseRuntimes
import GatehouseStore
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/orgs/{org}/functions/{name}/invoke`: runs a function without a route, for anyone
/// the org grants `functions:invoke`. The body is the payload, as `POST /` with the request's
/// content type; the answer is the function's (with `x-gatehouse-run-id`), or with
/// `Prefer: respond-async` a 202 whose `Location` is the run.
enum InvokeRoute {
    static func register(on router: Router<AdminRequestContext>, store: any Store, services: FunctionServices) {
        router.post("/v1/orgs/:org/functions/:name/invoke") { request, context in
            let org = context.parameters.get("org") ?? ""
            let name = context.parameters.get("name") ?? ""
            let function = try await services.deployed(org: org, name: name, store: store)
            let body = try await JSONBody.collect(request, upTo: services.maxBodyBytes)
            var headers: [(name: String, value: String)] = []
            if let type = request.headers[.contentType] { headers.append((name: "content-type", value: type)) }
            let requestId = RequestIds.from(request.headers)
            headers.append((name: "x-request-id", value: requestId))
            let caller = context.principal.map {
                Caller(
                    subject: $0.callerSubject, kind: $0.kind.rawValue, provider: $0.provider, groups: $0.groups.sorted(),
                    scopes: $0.scopes.sorted())
            }
            let async = request.headers[values: HTTPField.Name("prefer")!].contains { $0.lowercased().hasPrefix("respond-async") }
            let invocation = InvocationRequest(
                method: "POST", path: "/", query: "", headers: headers, body: Array(body.readableBytesView),
                context: InvocationContext(
                    runId: RunID.generate(), requestId: requestId, org: org, function: name, caller: caller,
                    timeoutMs: function.timeoutMs, isAsync: async))
            if async {
                let run = try await services.runs.accept(invocation, function: function)
                return try JSONResponse.make(
                    .accepted, run,
                    headers: [
                        .location: "/v1/orgs/\(org)/runs/\(run.id)", HTTPField.Name("preference-applied")!: "respond-async",
                        HTTPField.Name("x-gatehouse-run-id")!: run.id,
                    ])
            }
            let outcome = await services.invoker.invoke(invocation, function: function)
            services.runs.record(outcome.completing(invocation.context.run(status: .running, createdAt: outcome.startedAt)))
            // A problem the pipeline answered already carries this request's id: sent as is.
            var fields = HTTPFields()
            fields[.xRequestId] = requestId
            for (field, value) in outcome.forwardableHeaders {
                guard let fieldName = HTTPField.Name(field) else { continue }
                fields.append(HTTPField(name: fieldName, value: value))
            }
            fields[HTTPField.Name("x-gatehouse-run-id")!] = invocation.context.runId
            return Response(
                status: .init(code: outcome.status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: outcome.body)))
        }
    }
}
