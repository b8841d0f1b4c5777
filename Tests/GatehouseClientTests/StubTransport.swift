import Foundation
import Synchronization

@testable import GatehouseClient

/// A transport that answers from a closure and remembers what was sent.
final class StubTransport: HTTPTransport {
    typealias Handler = @Sendable (HTTPExchange) -> HTTPExchangeResponse
    private let handler: Handler
    private let sent = Mutex<[HTTPExchange]>([])

    init(_ handler: @escaping Handler) {
        self.handler = handler
    }

    var requests: [HTTPExchange] { sent.withLock { $0 } }

    func send(_ exchange: HTTPExchange) async throws -> HTTPExchangeResponse {
        sent.withLock { $0.append(exchange) }
        return handler(exchange)
    }

    func shutdown() async throws {}

    static func json(_ status: Int, _ object: [String: Any]) -> HTTPExchangeResponse {
        HTTPExchangeResponse(
            status: status, contentType: "application/json", body: try! JSONSerialization.data(withJSONObject: object))
    }
}

extension HTTPExchange {
    var bearer: String? {
        headers.first { $0.0 == "Authorization" }.map { String($0.1.dropFirst("Bearer ".count)) }
    }

    /// The form body's fields (the values these tests use need no decoding beyond `%3A`).
    var form: [String: String] {
        let text = String(decoding: body ?? Data(), as: UTF8.self)
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }
}

/// A temporary directory for one test, removed with `cleanUp`.
struct TemporaryDirectory {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-client-\(UUID().uuidString)").path

    func cleanUp() { try? FileManager.default.removeItem(atPath: path) }
}
