import Foundation
import GatehouseModel
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

@testable import GatehouseRuntimes

/// Tenants never share an upstream connection on the buffered path: two orgs' functions on one
/// engine are served over different connections, counted at a real upstream by the client
/// ports it sees; each org's own calls reuse its pooled connection.
@Suite struct EngineClientsTests {
    @Test func twoOrgsOnOneUpstreamUseDifferentConnections() async throws {
        let upstream = try await PeerPortServer()
        let clients = EngineClients(group: MultiThreadedEventLoopGroup.singleton, configuration: .init())
        let driver = HTTPEngineRuntime(clients: clients)
        var ports: [String: Set<String>] = [:]
        for round in 0..<6 {
            for org in ["acme", "globex"] {
                let function = DeployedFunction(org: org, function: Function(name: "fn", http: upstream.url, timeoutMs: 5000), codeRoot: nil)
                let context = InvocationContext(runId: "run-\(round)", requestId: "req", org: org, function: "fn", timeoutMs: 5000)
                let request = RuntimeRequest(
                    request: InvocationRequest(method: "GET", path: "/", query: "", headers: [], body: [], context: context), mode: .http)
                let response = try await driver.invoke(request, function: function)
                #expect(response.status == 200)
                ports[org, default: []].insert(String(decoding: response.body, as: UTF8.self))
            }
        }
        let acme = try #require(ports["acme"]), globex = try #require(ports["globex"])
        #expect(acme.isDisjoint(with: globex), "acme \(acme), globex \(globex)")
        // Sequential calls of one org ride its keep-alive connection (so the check above is not
        // met by a new connection for every call).
        #expect(acme.count == 1 && globex.count == 1, "acme \(acme), globex \(globex)")
        #expect(clients.count == 2)
        await clients.shutdown()
        #expect(clients.client(for: "acme") == nil)
        try await upstream.close()
    }
}

/// An HTTP/1.1 upstream that answers every request with the client's port, keep-alive.
final class PeerPortServer: Sendable {
    let channel: any Channel
    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)/" }

    init() async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler())
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async throws { try await channel.close() }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            guard case .end = unwrapInboundIn(data) else { return }
            let body = ByteBuffer(string: String(context.channel.remoteAddress?.port ?? 0))
            var headers = HTTPHeaders()
            headers.add(name: "content-length", value: String(body.readableBytes))
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
