import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1

/// OpenFaaS asynchronous invocation: `POST {gateway}/async-function/{name}[.{namespace}]` with
/// `X-Callback-Url` answers 202 at once; the queue-worker runs the function later and POSTs
/// its result to the callback URL with `X-Function-Status` (the function's status code) and
/// `X-Call-Id`. The invocation waits for that callback until its deadline.
struct OpenFaaSAsync: Sendable {
    let http: EngineHTTP
    /// The control listener's URL, known once it is bound (port 0 binds an ephemeral port).
    let callbackBaseURL: @Sendable () -> String
    let callbacks: EngineCallbacks

    /// The callback path, outside `/v1/` so the admin API's authentication does not apply: the
    /// queue-worker has no Gatehouse credentials; the per-run token is the credential.
    static func callbackPath(runId: String, token: String) -> String { "/callbacks/openfaas/\(runId)/\(token)" }

    func invoke(_ request: RuntimeRequest, org: String, openfaas: Function.OpenFaaSRuntime, authorization: String?) async throws(RuntimeError) -> RuntimeResponse {
        let engine = "the OpenFaaS gateway"
        var gateway: UpstreamURL
        do { gateway = try UpstreamURL(parsing: openfaas.gateway, field: "openfaas.gateway") } catch {
            throw .notReady("the function has no valid gateway: \(error.detail ?? "invalid")")
        }
        gateway.basePath += "/async-function/" + openfaas.function + (openfaas.namespace.map { ".\($0)" } ?? "")
        let url = HTTPEngineRuntime.url(
            Function.Endpoint(upstream: gateway), path: request.request.path, query: request.request.query)

        let ticket = callbacks.register(runId: request.request.context.runId)
        var base = callbackBaseURL()
        while base.hasSuffix("/") { base.removeLast() }
        var outgoing = HTTPClientRequest(url: url)
        // The async endpoint queues POST requests (its OpenAPI description lists POST only).
        outgoing.method = .POST
        outgoing.headers = HTTPEngineRuntime.forwardedHeaders(request.request.headers)
        outgoing.headers.replaceOrAdd(name: "X-Callback-Url", value: base + Self.callbackPath(runId: ticket.runId, token: ticket.token))
        if let authorization { outgoing.headers.replaceOrAdd(name: "authorization", value: authorization) }
        outgoing.body = .bytes(ByteBuffer(bytes: request.request.body))

        let accepted: EngineHTTP.Answer
        do { accepted = try await http.send(outgoing, org: org, deadline: request.deadline, engine: engine) } catch {
            callbacks.cancel(ticket)
            throw error
        }
        guard accepted.status == 202 else {
            callbacks.cancel(ticket)
            if accepted.status == 401 || accepted.status == 403 {
                throw .system("\(engine) refused the credentials (\(accepted.status))")
            }
            if accepted.status == 404 { throw .notReady("\(engine) does not know the function (404)") }
            throw .system("\(engine) did not queue the invocation: it answered \(accepted.status)")
        }
        guard let result = await callbacks.wait(for: ticket, until: request.deadline) else {
            throw .timeout(logs: [])
        }
        if result.body.count > http.maxResponseBytes {
            throw .functionFailed("\(engine) answered more than \(http.maxResponseBytes) bytes", logs: [])
        }
        let headers = result.headers.filter {
            let name = $0.name.lowercased()
            return !EngineHTTP.droppedResponseHeaders.contains(name) && name != "x-function-status" && name != "x-call-id"
                && name != "x-callback-url" && name != "host" && name != "user-agent" && name != "accept-encoding"
        }
        return RuntimeResponse(status: result.status, headers: headers, body: result.body)
    }
}
