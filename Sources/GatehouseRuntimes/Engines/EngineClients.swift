import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOCore

/// One AsyncHTTPClient per org for the engine drivers' calls (http, openfaas, knative,
/// openwhisk): each client has its own connection pool, so two tenants' requests never travel
/// on one pooled upstream connection, whatever either sends, even when their functions live on
/// the same engine. A client is made on its org's first call; all are shut down with the server.
/// The control plane's own calls (JWKS, OIDC) keep the server's shared client.
public final class EngineClients: Sendable {
    private let group: any EventLoopGroup
    private let configuration: HTTPClient.Configuration
    private let state = NIOLockedValueBox(State())

    private struct State {
        var clients: [String: HTTPClient] = [:]
        var stopped = false
    }

    public init(group: any EventLoopGroup, configuration: HTTPClient.Configuration) {
        self.group = group
        self.configuration = configuration
    }

    /// The org's client, made on first use; nil once `shutdown` began.
    func client(for org: String) -> HTTPClient? {
        state.withLockedValue { state in
            guard !state.stopped else { return nil }
            if let client = state.clients[org] { return client }
            let client = HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration)
            state.clients[org] = client
            return client
        }
    }

    /// How many orgs have a client (for tests and diagnostics).
    var count: Int { state.withLockedValue { $0.clients.count } }

    public func shutdown() async {
        let clients = state.withLockedValue { state in
            state.stopped = true
            defer { state.clients = [:] }
            return Array(state.clients.values)
        }
        for client in clients { try? await client.shutdown() }
    }
}
