import GatehouseModel
import GatehouseRuntimes
import HTTPTypes
import Hummingbird

/// Where OpenFaaS's queue-worker reports an async invocation's result:
/// `POST /callbacks/openfaas/{runId}/{token}` with the function's answer as body and its status
/// in `X-Function-Status`.
///
/// The path is outside `/v1/` on purpose: the admin API's authentication covers `/v1/`, and the
/// queue-worker holds no Gatehouse credentials. The route is registered before that middleware
/// (like the `/.well-known/` documents); the per-run token in the path, compared in constant
/// time, is its only credential. Any refusal is the same 404 problem, so a caller learns nothing
/// about which runs exist.
enum EngineCallbackRoutes {
    static let path = "/callbacks/openfaas/{runId}/{token}"

    static func register<Context: RequestContext>(on router: Router<Context>, callbacks: EngineCallbacks) {
        let refused = Problem.notFound("no run waits for this callback")
        router.post(RouterPath(path)) { request, context -> Response in
            guard let runId = context.parameters.get("runId"), let token = context.parameters.get("token") else {
                throw refused
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: callbacks.maxBodyBytes)
            } catch {
                throw Problem.payloadTooLarge(limit: callbacks.maxBodyBytes)
            }
            // The queue-worker sends the function's status; a missing or garbled one means the
            // function could not be reached, which the run records as the function failing.
            let status = request.headers[HTTPField.Name("X-Function-Status")!].flatMap { Int($0) }.flatMap { (100...599).contains($0) ? $0 : nil } ?? 502
            let headers = request.headers.map { (name: $0.name.canonicalName, value: $0.value) }
            let result = EngineCallbacks.Result(status: status, headers: headers, body: Array(buffer.readableBytesView))
            guard callbacks.deliver(runId: runId, token: token, result: result) else { throw refused }
            return Response(status: .noContent)
        }
    }
}
