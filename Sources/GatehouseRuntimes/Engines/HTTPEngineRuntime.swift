import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1

/// Functions reached over HTTP (`http`, `openfaas`, `knative`) when the pipeline must see the
/// whole exchange (envelope mode, schemas, secrets, concurrency limits, async runs): the request
/// the invoker built goes to the function's endpoint as one buffered HTTP request. In `http`
/// mode without any of those the edge streams to the same endpoint instead.
public struct HTTPEngineRuntime: FunctionRuntime {
    private let client: HTTPClient
    /// A larger answer is refused (`functionFailed`): the pipeline holds whole bodies.
    private let maxResponseBytes: Int

    public init(client: HTTPClient, maxResponseBytes: Int = 10 * 1024 * 1024) {
        self.client = client
        self.maxResponseBytes = maxResponseBytes
    }

    public func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse {
        let endpoint: Function.Endpoint
        do {
            endpoint = try function.function.endpoint()
        } catch {
            throw .notReady(error.detail ?? error.title)
        }
        let outgoing = Self.request(request, endpoint: endpoint, credentials: request.credentials)
        let remaining = request.deadline - .now
        guard remaining > .zero else { throw .timeout(logs: []) }
        let timeout = TimeAmount.nanoseconds(Int64(remaining.components.seconds) * 1_000_000_000 + remaining.components.attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(outgoing, timeout: timeout)
            var body = try await response.body.collect(upTo: maxResponseBytes)
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            return RuntimeResponse(
                status: Int(response.status.code), headers: response.headers.map { (name: $0.name, value: $0.value) }, body: bytes)
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw .timeout(logs: [])
        } catch let error as NIOTooManyBytesError {
            throw .functionFailed("the response is larger than \(maxResponseBytes) bytes (\(error))", logs: [])
        } catch is CancellationError {
            throw .timeout(logs: [])
        } catch {
            throw .system("the function's endpoint could not be reached (\(String(describing: error).prefix(200)))")
        }
    }

    /// The request as the endpoint receives it: its base path, then the function's path and
    /// query; `Host` of a Knative service behind an ingress; OpenFaaS basic auth.
    static func request(_ request: RuntimeRequest, endpoint: Function.Endpoint, credentials: [String: String]) -> HTTPClientRequest {
        let invocation = request.request
        let url = endpoint.upstream
        let host = url.host.contains(":") ? "[\(url.host)]" : url.host
        var target = "\(url.scheme)://\(host):\(url.port)\(url.basePath)\(invocation.path)"
        if !invocation.query.isEmpty { target += "?" + invocation.query }
        var outgoing = HTTPClientRequest(url: target)
        outgoing.method = HTTPMethod(rawValue: invocation.method)
        for (name, value) in invocation.headers where !Self.dropped.contains(name.lowercased()) {
            outgoing.headers.add(name: name, value: value)
        }
        if let authority = endpoint.host { outgoing.headers.replaceOrAdd(name: "host", value: authority) }
        if let user = credentials["username"], let password = credentials["password"] {
            outgoing.headers.replaceOrAdd(
                name: "authorization", value: "Basic " + Data("\(user):\(password)".utf8).base64EncodedString())
        }
        if !invocation.body.isEmpty || ["POST", "PUT", "PATCH"].contains(invocation.method) {
            outgoing.body = .bytes(ByteBuffer(bytes: invocation.body))
        }
        return outgoing
    }

    /// Framing is the client's to set for the body it sends; `host` is the endpoint's.
    private static let dropped: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect"]
}
