import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection to a worker's Unix socket. A worker serves one invocation
/// at a time, so a connection carries one exchange at a time: `exchange` is never overlapped.
final class WorkerConnection: Sendable {
    private let channel: any Channel
    private let collector: ResponseCollector

    private init(channel: any Channel, collector: ResponseCollector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects to the first of `candidates` that is a socket, retrying while the worker is
    /// still starting, until `deadline`. The socket is opened without following links
    /// (`WorkerSocket`), so a worker cannot point Gatehouse at another socket of the host.
    static func connect(
        candidates: @Sendable () -> [String], group: any EventLoopGroup, deadline: ContinuousClock.Instant,
        stillStarting: @Sendable () -> Bool
    ) async throws -> WorkerConnection {
        while true {
            do {
                guard let socket = WorkerSocket(firstOf: candidates()) else { throw WorkerSocket.NotYet() }
                defer { socket.release() }
                let collector = ResponseCollector()
                let channel = try await ClientBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHTTPClientHandlers()
                            try channel.pipeline.syncOperations.addHandler(collector)
                        }
                    }
                    .connect(unixDomainSocketPath: socket.path).get()
                return WorkerConnection(channel: channel, collector: collector)
            } catch {
                guard ContinuousClock.now < deadline, stillStarting() else { throw error }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
    }

    /// Sends one request and collects the whole response (bounded by `maxBodyBytes`).
    func exchange(_ head: HTTPRequestHead, body: [UInt8], maxBodyBytes: Int) async throws -> (HTTPResponseHead, [UInt8]) {
        let promise = channel.eventLoop.makePromise(of: (HTTPResponseHead, [UInt8]).self)
        collector.expect(promise, maxBodyBytes: maxBodyBytes)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { promise.fail($0) }
        return try await promise.futureResult.get()
    }

    func close() {
        channel.close(promise: nil)
    }

    var isActive: Bool { channel.isActive }
}

/// Gathers one response per `expect`; fails it if the worker closes or errs first.
private final class ResponseCollector: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart

    struct TooLarge: Error, CustomStringConvertible {
        let limit: Int
        var description: String { "the response is larger than \(limit) bytes" }
    }

    private struct Pending {
        var promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>?
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        var limit = Int.max
    }
    private let state = NIOLockedValueBox(Pending())

    func expect(_ promise: EventLoopPromise<(HTTPResponseHead, [UInt8])>, maxBodyBytes: Int) {
        state.withLockedValue { $0 = Pending(promise: promise, limit: maxBodyBytes) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            state.withLockedValue { $0.head = head }
        case .body(var buffer):
            let overflow: EventLoopPromise<(HTTPResponseHead, [UInt8])>? = state.withLockedValue { pending in
                pending.body += buffer.readBytes(length: buffer.readableBytes) ?? []
                guard pending.body.count > pending.limit else { return nil }
                defer { pending.promise = nil }
                return pending.promise
            }
            if let overflow {
                overflow.fail(TooLarge(limit: state.withLockedValue { $0.limit }))
                context.close(promise: nil)
            }
        case .end:
            let done: (EventLoopPromise<(HTTPResponseHead, [UInt8])>, HTTPResponseHead, [UInt8])? = state.withLockedValue { pending in
                guard let promise = pending.promise, let head = pending.head else { return nil }
                defer { pending = Pending() }
                return (promise, head, pending.body)
            }
            if let (promise, head, body) = done { promise.succeed((head, body)) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failPending(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        failPending(error)
        context.close(promise: nil)
    }

    private func failPending(_ error: any Error) {
        let promise = state.withLockedValue { pending -> EventLoopPromise<(HTTPResponseHead, [UInt8])>? in
            defer { pending.promise = nil }
            return pending.promise
        }
        promise?.fail(error)
    }
}
