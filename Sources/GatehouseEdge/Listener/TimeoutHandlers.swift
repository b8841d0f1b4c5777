import GatehouseModel
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOTLS

/// Closes a connection whose TLS handshake (or, on the plain listener, whose first bytes) has
/// not arrived within the handshake timeout, then steps aside.
public final class HandshakeTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny

    private let timeout: TimeAmount
    /// TLS: done at the handshake; plain: done at the first bytes.
    private let waitsForTLS: Bool
    private var timer: Scheduled<Void>?

    public init(timeout: TimeAmount, waitsForTLS: Bool) {
        self.timeout = timeout
        self.waitsForTLS = waitsForTLS
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    // Each passes its message on before leaving: a removed handler's context forwards nothing.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireChannelRead(data)
        if !waitsForTLS { done(context) }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        context.fireUserInboundEventTriggered(event)
        if waitsForTLS, case TLSUserEvent.handshakeCompleted = event { done(context) }
    }

    private func done(_ context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// The header-read and keep-alive timeouts of an HTTP/1.1 connection (`HTTP1ConnectionClock`),
/// between the codec and the request handler.
final class HTTP1TimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var clock: HTTP1ConnectionClock
    private var timer: Scheduled<Void>?

    init(timeouts: ConnectionTimeouts) { clock = HTTP1ConnectionClock(timeouts: timeouts) }

    func handlerAdded(context: ChannelHandlerContext) { arm(clock.initialTimeout, context: context) }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            clock.requestHeadReceived()
            timer?.cancel()
            timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), let timeout = clock.responseEnded() {
            arm(timeout, context: context)
        }
        context.write(data, promise: promise)
    }

    private func arm(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        timer?.cancel()
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: timeout) {
            let (handler, context) = bound.value
            handler.expired(context: context)
        }
    }

    private func expired(context: ChannelHandlerContext) {
        switch clock.expiry {
        case .requestTimeout:
            let (head, body) = EdgeResponse.problem(
                .requestTimeout(), requestId: LoopIdentifiers().requestId(), version: .http1_1,
                extraHeaders: [("connection", "close")], allocator: context.channel.allocator)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        case .close:
            context.close(promise: nil)
        case nil:
            break
        }
    }
}
