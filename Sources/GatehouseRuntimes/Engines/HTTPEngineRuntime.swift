import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1

/// Runs functions of runtimes `http`, `openfaas` and `knative` whose invocations need the whole
/// request (envelope mode, schemas, secrets, OpenFaaS basic auth, async runs): the request is
/// sent buffered to the function's endpoint and the answer read whole, bounded. Functions
/// without those needs keep the edge's streaming proxy.
public struct HTTPEngineRuntime: FunctionRuntime {
    let http: EngineHTTP
    let openFaaSAsync: OpenFaaSAsync?

    /// - Parameters:
    ///   - clients: the per-org clients (the server owns them and shuts them down).
    ///   - maxResponseBytes: a larger answer fails the invocation (functionFailed).
    ///   - callbackBaseURL: the control listener's external URL (`https://gatehouse:8443`),
    ///     which OpenFaaS's queue-worker must reach; nil runs async OpenFaaS invocations
    ///     synchronously instead.
    ///   - callbacks: the registry the callback route delivers to (`EngineCallbackRoutes`).
    public init(clients: EngineClients, maxResponseBytes: Int = 10 << 20, callbackBaseURL: (@Sendable () -> String)? = nil, callbacks: EngineCallbacks? = nil) {
        self.http = EngineHTTP(clients: clients, maxResponseBytes: maxResponseBytes)
        if let callbackBaseURL, let callbacks {
            self.openFaaSAsync = OpenFaaSAsync(http: http, callbackBaseURL: callbackBaseURL, callbacks: callbacks)
        } else {
            self.openFaaSAsync = nil
        }
    }

    public func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse {
        let endpoint: Function.Endpoint
        do { endpoint = try function.function.endpoint() } catch { throw .notReady("the function has no valid endpoint: \(error.detail ?? "invalid")") }
        let engine = Self.engineName(function.function.runtime)
        let authorization = try Self.authorization(request, function: function.function)

        if request.request.context.isAsync, function.function.runtime == .openfaas, let openFaaSAsync,
            let openfaas = function.function.openfaas
        {
            let answer = try await openFaaSAsync.invoke(request, org: function.org, openfaas: openfaas, authorization: authorization)
            return try Self.response(answer, mode: request.mode, engine: engine)
        }

        var outgoing = HTTPClientRequest(url: Self.url(endpoint, path: request.request.path, query: request.request.query))
        outgoing.method = HTTPMethod(rawValue: request.request.method)
        outgoing.headers = Self.forwardedHeaders(request.request.headers)
        if let host = endpoint.host { outgoing.headers.replaceOrAdd(name: "host", value: host) }
        if let authorization { outgoing.headers.replaceOrAdd(name: "authorization", value: authorization) }
        if !request.request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.request.method.uppercased()) {
            outgoing.body = .bytes(ByteBuffer(bytes: request.request.body))
        }
        let answer = try await http.send(outgoing, org: function.org, deadline: request.deadline, engine: engine)
        return try Self.response(
            RuntimeResponse(status: answer.status, headers: EngineHTTP.responseHeaders(answer.headers), body: answer.body),
            mode: request.mode, engine: engine)
    }

    /// The full URL: endpoint, base path, the function's path and query.
    static func url(_ endpoint: Function.Endpoint, path: String, query: String) -> String {
        let upstream = endpoint.upstream
        let defaultPort = upstream.usesTLS ? 443 : 80
        let host = upstream.host.contains(":") ? "[\(upstream.host)]" : upstream.host
        let port = upstream.port == defaultPort ? "" : ":\(upstream.port)"
        let suffix = path.hasPrefix("/") ? path : "/" + path
        return "\(upstream.scheme)://\(host)\(port)\(upstream.basePath)\(suffix)" + (query.isEmpty ? "" : "?" + query)
    }

    /// The request's headers minus framing ones, which the client sets for the buffered body.
    static func forwardedHeaders(_ headers: [(name: String, value: String)]) -> HTTPHeaders {
        var result = HTTPHeaders()
        for (name, value) in headers where !["content-length", "transfer-encoding", "host", "connection"].contains(name.lowercased()) {
            result.add(name: name, value: value)
        }
        return result
    }

    /// OpenFaaS basic auth from the `basicAuthSecret`'s values, which the invoker resolved into
    /// `credentials`. A function that names the secret but arrives without its values is a
    /// Gatehouse fault, not something to send unauthenticated.
    static func authorization(_ request: RuntimeRequest, function: Function) throws(RuntimeError) -> String? {
        guard function.runtime == .openfaas, function.openfaas?.basicAuthSecret != nil else { return nil }
        guard let user = request.credentials["username"], let password = request.credentials["password"] else {
            throw .system("the OpenFaaS basic auth secret needs the keys 'username' and 'password'")
        }
        return EngineHTTP.basicAuthorization(user: user, password: password)
    }

    /// In http mode any status is the function's answer. In envelope mode the function must
    /// answer 2xx with JSON, its return value; anything else is the function failing.
    static func response(_ response: RuntimeResponse, mode: Function.Mode, engine: String) throws(RuntimeError) -> RuntimeResponse {
        guard mode == .envelope else { return response }
        guard (200..<300).contains(response.status) else {
            throw .functionFailed("\(engine): the function answered \(response.status)", logs: Array(response.body.prefix(Run.maxRecordedBytes)))
        }
        guard (try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed])) != nil else {
            throw .functionFailed("\(engine): the function's answer is not JSON", logs: Array(response.body.prefix(Run.maxRecordedBytes)))
        }
        return RuntimeResponse(status: 200, headers: [(name: "content-type", value: "application/json")], body: response.body)
    }

    static func engineName(_ runtime: Function.Runtime) -> String {
        switch runtime {
        case .openfaas: return "the OpenFaaS gateway"
        case .knative: return "the Knative service"
        default: return "the function's endpoint"
        }
    }
}
