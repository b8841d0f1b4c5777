import Foundation
import GatehouseIdentity
import GatehouseModel
import GatehouseRuntimes
import NIOCore
import NIOHTTP1

/// A request that goes through the invocation pipeline instead of being streamed to an HTTP
/// upstream: its body is gathered (bounded by the edge's and the route's body limits, which
/// `EdgeRequestHandler` enforces as it reads) and handed to the `FunctionInvoker` whole.
final class BufferedInvocation {
    let method: String
    let path: String
    let query: String
    let headers: [(name: String, value: String)]
    let caller: Caller?
    let async: Bool
    var body: ByteBuffer
    var started = false

    init(method: String, path: Substring, query: Substring, headers: HTTPHeaders, caller: Caller?, async: Bool, allocator: ByteBufferAllocator) {
        self.method = method
        self.path = path.isEmpty ? "/" : String(path)
        self.query = query.hasPrefix("?") ? String(query.dropFirst()) : String(query)
        // The pipeline's drivers speak to the function themselves; these describe this hop.
        self.headers = headers.compactMap { name, value in
            let lowered = name.lowercased()
            return lowered == "host" || lowered == "content-length" || lowered == "transfer-encoding" ? nil : (name: name, value: value)
        }
        self.caller = caller
        self.async = async
        self.body = allocator.buffer(capacity: 0)
    }

    func request(route: CompiledRoute, requestId: String) -> InvocationRequest {
        InvocationRequest(
            method: method, path: path, query: query, headers: headers, body: Array(body.readableBytesView),
            context: InvocationContext(
                runId: RunID.generate(), requestId: requestId, org: route.org, function: route.functionName, route: route.name,
                caller: caller, timeoutMs: route.timeoutMs, isAsync: async))
    }

    /// `Prefer: respond-async` (RFC 7240), alone or among other preferences.
    static func prefersAsync(_ headers: HTTPHeaders) -> Bool {
        headers[canonicalForm: "prefer"].contains { $0.lowercased() == "respond-async" || $0.lowercased().hasPrefix("respond-async;") }
    }

    static func caller(_ principal: Principal, identityToken: String?) -> Caller {
        Caller(
            subject: principal.callerSubject, kind: principal.kind.rawValue, provider: principal.provider,
            groups: principal.groups.sorted(), scopes: principal.scopes.sorted(), identityToken: identityToken)
    }
}

/// What came back from the pipeline, for the edge to answer with.
enum InvocationAnswer: Sendable {
    case outcome(InvocationOutcome, runId: String)
    case accepted(Run, location: String)
    case failed(Problem)
}

extension InvocationAnswer {
    /// The edge's response. A failure Gatehouse or the function caused is shown as its
    /// `PublicProblem`; the full detail is in the run record and the log.
    func response(
        requestId: String, version: HTTPVersion, org: String?, function: String?, allocator: ByteBufferAllocator
    ) -> (HTTPResponseHead, ByteBuffer) {
        var headers = HTTPHeaders()
        let status: Int
        let body: ByteBuffer
        switch self {
        case .outcome(let outcome, let runId):
            status = outcome.status
            for (name, value) in outcome.forwardableHeaders { headers.add(name: name, value: value) }
            headers.replaceOrAdd(name: "x-gatehouse-run-id", value: runId)
            if let problem = outcome.problem, problem.status >= 500 {
                let shown = PublicProblem.forCaller(problem.with(requestId: requestId), org: org, function: function, runId: runId)
                body = allocator.buffer(bytes: shown.encoded())
            } else {
                body = allocator.buffer(bytes: outcome.body)
            }
        case .accepted(let run, let location):
            status = 202
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "location", value: location)
            headers.add(name: "preference-applied", value: "respond-async")
            headers.add(name: "x-gatehouse-run-id", value: run.id)
            body = allocator.buffer(bytes: (try? StrictJSON.encoder.encode(run)) ?? Data("{}".utf8))
        case .failed(let problem):
            status = problem.status
            headers.add(name: "content-type", value: Problem.mediaType)
            let shown = PublicProblem.forCaller(problem.with(requestId: requestId), org: org, function: function, runId: nil)
            body = allocator.buffer(bytes: shown.encoded())
        }
        headers.replaceOrAdd(name: "x-request-id", value: requestId)
        // RFC 9110 §8.6: no Content-Length (and no content) on 1xx and 204; a function that
        // answers 204 with a body gets the body dropped rather than a malformed response.
        guard status >= 200, status != 204, status != 304 else {
            return (HTTPResponseHead(version: version, status: .init(statusCode: status), headers: headers), allocator.buffer(capacity: 0))
        }
        headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        return (HTTPResponseHead(version: version, status: .init(statusCode: status), headers: headers), body)
    }
}
