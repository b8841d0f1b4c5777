import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1

/// Runs `runtime: openwhisk` functions through OpenWhisk's REST API. A synchronous run is a
/// blocking invoke; when the action outlives OpenWhisk's blocking window (202 with an
/// activation id), and for async runs (non-blocking invoke), the activation is polled until it
/// completes or the deadline passes.
///
/// The blocking invoke asks for the whole activation record (`result=false`), not only the
/// result, so the run gets the activation's logs and its status tells an action's own error
/// from OpenWhisk's.
public struct OpenWhiskActionRuntime: FunctionRuntime {
    let http: EngineHTTP
    /// The first poll waits this long, doubling up to `maxPollInterval`.
    let firstPollInterval: Duration
    let maxPollInterval: Duration

    /// OpenWhisk's longest blocking wait (its API description: "max allowed timeout 60000").
    static let maxBlockingMs = 60_000

    public init(clients: EngineClients, maxResponseBytes: Int = 10 << 20, firstPollInterval: Duration = .milliseconds(100), maxPollInterval: Duration = .seconds(1)) {
        self.http = EngineHTTP(clients: clients, maxResponseBytes: maxResponseBytes)
        self.firstPollInterval = firstPollInterval
        self.maxPollInterval = maxPollInterval
    }

    public func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse {
        guard let openwhisk = function.function.openwhisk else { throw .notReady("the function has no 'openwhisk' block") }
        guard let auth = request.credentials["auth"], let colon = auth.firstIndex(of: ":") else {
            throw .system("the OpenWhisk auth secret needs the key 'auth' holding 'uuid:key'")
        }
        let authorization = EngineHTTP.basicAuthorization(user: String(auth[..<colon]), password: String(auth[auth.index(after: colon)...]))
        let api = try Self.apiBase(openwhisk)
        let parameters = try OpenWhiskParameters.parameters(for: request)
        guard let body = try? JSONSerialization.data(withJSONObject: parameters) else { throw .system("the action's parameters are not JSON") }

        let blocking = !request.request.context.isAsync
        var query = "blocking=\(blocking)"
        if blocking {
            let remainingMs = Int(EngineHTTP.nanoseconds(ContinuousClock.now.duration(to: request.deadline)) / 1_000_000)
            query += "&timeout=\(max(1, min(remainingMs, Self.maxBlockingMs)))"
        }
        var invoke = HTTPClientRequest(url: "\(api)/actions/\(openwhisk.action)?\(query)")
        invoke.method = .POST
        invoke.headers.add(name: "authorization", value: authorization)
        invoke.headers.add(name: "content-type", value: "application/json")
        invoke.headers.add(name: "accept", value: "application/json")
        invoke.body = .bytes(ByteBuffer(bytes: Array(body)))

        let answer = try await http.send(invoke, org: function.org, deadline: request.deadline, engine: "OpenWhisk")
        switch answer.status {
        case 200, 502:
            // 502: the activation ended in an application error; the body is still its record.
            return try Self.outcome(of: answer.body, mode: request.mode)
        case 202:
            guard let id = Self.object(answer.body)?["activationId"] as? String, Self.isActivationId(id) else {
                throw .system("OpenWhisk accepted the invocation without an activation id")
            }
            return try await poll(api: api, activationId: id, authorization: authorization, org: function.org, request: request)
        default:
            throw Self.apiError(answer)
        }
    }

    /// Asks for the activation until it exists (404 until it completes) or the deadline passes.
    func poll(api: String, activationId: String, authorization: String, org: String, request: RuntimeRequest) async throws(RuntimeError) -> RuntimeResponse {
        var interval = firstPollInterval
        while true {
            let wake = ContinuousClock.now + interval
            guard wake < request.deadline else { throw .timeout(logs: []) }
            do { try await Task.sleep(until: wake, clock: .continuous) } catch { throw .timeout(logs: []) }
            var get = HTTPClientRequest(url: "\(api)/activations/\(activationId)")
            get.headers.add(name: "authorization", value: authorization)
            get.headers.add(name: "accept", value: "application/json")
            let answer = try await http.send(get, org: org, deadline: request.deadline, engine: "OpenWhisk")
            switch answer.status {
            case 200: return try Self.outcome(of: answer.body, mode: request.mode)
            case 404: interval = min(interval * 2, maxPollInterval)
            default: throw Self.apiError(answer)
            }
        }
    }

    /// `{apiHost}/api/v1/namespaces/{namespace}`; the model validated every part, so none
    /// needs escaping.
    static func apiBase(_ openwhisk: Function.OpenWhiskRuntime) throws(RuntimeError) -> String {
        let upstream: UpstreamURL
        do { upstream = try UpstreamURL(parsing: openwhisk.apiHost, field: "openwhisk.apiHost") } catch {
            throw .notReady("the function has no valid OpenWhisk API host: \(error.detail ?? "invalid")")
        }
        let endpoint = HTTPEngineRuntime.url(Function.Endpoint(upstream: upstream), path: "/api/v1/namespaces/", query: "")
        return endpoint + openwhisk.effectiveNamespace
    }

    /// An activation record's outcome: its result as the function's answer, or the action's
    /// failure, with the activation's logs either way.
    static func outcome(of body: [UInt8], mode: Function.Mode) throws(RuntimeError) -> RuntimeResponse {
        guard let record = object(body), let response = record["response"] as? [String: Any] else {
            throw .system("OpenWhisk answered something other than an activation record")
        }
        let logs = logBytes(record["logs"])
        let status = response["status"] as? String ?? ((response["success"] as? Bool) == true ? "success" : "application error")
        let result = response["result"] ?? [String: Any]()
        switch status {
        case "success":
            return try OpenWhiskParameters.response(result: result, mode: mode, logs: logs)
        case "application error", "action developer error":
            throw .functionFailed("the action failed: \(errorText(result))", logs: logs)
        default:
            // "whisk internal error": OpenWhisk's own failure, not the action's.
            throw .system("OpenWhisk failed to run the action: \(errorText(result))")
        }
    }

    static func apiError(_ answer: EngineHTTP.Answer) -> RuntimeError {
        switch answer.status {
        case 401, 403: return .system("OpenWhisk refused the credentials (\(answer.status))")
        case 404: return .notReady("OpenWhisk does not know the action (404)")
        case 408: return .timeout(logs: [])
        case 429: return .overloaded("OpenWhisk is throttling the namespace (429)")
        default: return .system("OpenWhisk answered \(answer.status): \(errorText(object(answer.body) ?? [:]))")
        }
    }

    static func object(_ body: [UInt8]) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
    }

    /// The `error` member of a failed result (a string or any JSON), bounded.
    static func errorText(_ result: Any) -> String {
        let error = (result as? [String: Any])?["error"] ?? result
        let text: String
        if let string = error as? String {
            text = string
        } else if let data = try? JSONSerialization.data(withJSONObject: error, options: [.fragmentsAllowed, .sortedKeys]) {
            text = String(decoding: data, as: UTF8.self)
        } else {
            text = "unknown error"
        }
        return String(text.prefix(1000))
    }

    /// The activation's log lines, newline-terminated and bounded to `Run.maxRecordedBytes`.
    static func logBytes(_ logs: Any?) -> [UInt8] {
        guard let lines = logs as? [Any] else { return [] }
        var bytes: [UInt8] = []
        for line in lines {
            bytes += Array("\(line as? String ?? "\(line)")\n".utf8)
            if bytes.count >= Run.maxRecordedBytes { break }
        }
        return Array(bytes.prefix(Run.maxRecordedBytes))
    }

    /// Activation ids are 32 hex digits; anything else is not put into a URL.
    static func isActivationId(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count) && id.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) || ($0 >= 0x41 && $0 <= 0x46) }
    }
}
