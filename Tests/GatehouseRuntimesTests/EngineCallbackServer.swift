import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

@testable import GatehouseRuntimes

/// A minimal stand-in for the control listener's callback route
/// (`GatehouseControl/Runs/EngineCallbackRoutes.swift`): `POST /callbacks/openfaas/{runId}/{token}`
/// delivered to an `EngineCallbacks`, 204 when a run took it, 404 otherwise.
final class EngineCallbackServer: Sendable {
    let channel: any Channel
    var url: String { "http://127.0.0.1:\(channel.localAddress?.port ?? 0)" }

    init(callbacks: EngineCallbacks) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(callbacks: callbacks))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func close() async throws { try await channel.close() }

    /// Lives on its channel's event loop only (added through `syncOperations`).
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart
        let callbacks: EngineCallbacks
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(callbacks: EngineCallbacks) { self.callbacks = callbacks }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let parts = head.uri.split(separator: "/").map(String.init)
                var status = HTTPResponseStatus.notFound
                if head.method == .POST, parts.count == 4, parts[0] == "callbacks", parts[1] == "openfaas" {
                    let code = head.headers.first(name: "X-Function-Status").flatMap { Int($0) } ?? 502
                    let result = EngineCallbacks.Result(
                        status: code, headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
                    if callbacks.deliver(runId: parts[2], token: parts[3], result: result) { status = .noContent }
                }
                var headers = HTTPHeaders()
                headers.add(name: "content-length", value: "0")
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
