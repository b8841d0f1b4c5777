import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The one way the engine drivers talk to a remote engine: a buffered request with the
/// invocation's deadline and a bounded response body, failures mapped to `RuntimeError`.
struct EngineHTTP: Sendable {
    /// Per org: no two tenants' calls share a pooled connection.
    let clients: EngineClients
    /// Larger answers fail the invocation rather than exhausting Gatehouse's memory.
    let maxResponseBytes: Int

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// Sends `request` on `org`'s client and reads the whole answer before `deadline`. `engine`
    /// names the remote side in error messages ("the OpenFaaS gateway"); messages never carry
    /// header values.
    func send(_ request: HTTPClientRequest, org: String, deadline: ContinuousClock.Instant, engine: String) async throws(RuntimeError) -> Answer {
        guard let client = clients.client(for: org) else { throw .notReady("Gatehouse is stopping") }
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else { throw .timeout(logs: []) }
        let nioDeadline = NIODeadline.now() + .nanoseconds(Self.nanoseconds(remaining))
        do {
            // The deadline covers the whole exchange, the body included: AsyncHTTPClient
            // cancels the request when it passes.
            let response = try await client.execute(request, deadline: nioDeadline)
            var body = try await response.body.collect(upTo: maxResponseBytes)
            return Answer(status: Int(response.status.code), headers: response.headers, body: body.readBytes(length: body.readableBytes) ?? [])
        } catch let error as NIOTooManyBytesError {
            _ = error
            throw .functionFailed("\(engine) answered more than \(maxResponseBytes) bytes", logs: [])
        } catch let error as HTTPClientError {
            if error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout && ContinuousClock.now >= deadline {
                throw .timeout(logs: [])
            }
            if error == .connectTimeout { throw .notReady("\(engine) did not accept a connection in time") }
            throw .system("\(engine) could not be reached: \(error)")
        } catch is CancellationError {
            throw .timeout(logs: [])
        } catch {
            if ContinuousClock.now >= deadline { throw .timeout(logs: []) }
            // Connection refused, DNS failure, TLS failure: the engine is not there.
            throw .system("\(engine) could not be reached: \(error)")
        }
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// `Authorization: Basic` for `user:password` (RFC 7617).
    static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    /// Hop-by-hop and framing headers the answer must not carry on (the edge frames its own).
    static let droppedResponseHeaders: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade", "proxy-connection",
    ]

    static func responseHeaders(_ headers: HTTPHeaders) -> [(name: String, value: String)] {
        headers.filter { !droppedResponseHeaders.contains($0.name.lowercased()) }.map { (name: $0.name, value: $0.value) }
    }
}
