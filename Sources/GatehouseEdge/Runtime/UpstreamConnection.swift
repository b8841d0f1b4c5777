import NIOCore
import NIOHTTP1

/// Receives what an upstream connection delivers for the exchange currently using it.
/// Everything happens on the connection's event loop, which is also the downstream's.
protocol UpstreamExchange: AnyObject {
    func upstreamReceived(_ part: HTTPClientResponsePart)
    func upstreamFailed(_ error: any Error)
    func upstreamWritabilityChanged(isWritable: Bool)
    /// The upstream's read burst ended: a good moment to flush to the client.
    func upstreamReadComplete()
}

/// What one exchange talks to: a keep-alive HTTP/1.1 connection owned by its event loop's pool,
/// or one stream of a pooled HTTP/2 connection. Both carry HTTP/1-style parts, so the edge's
/// request handler does not care which.
final class UpstreamConnection {
    let channel: any Channel
    let key: UpstreamKey
    fileprivate let handler: UpstreamHandler
    /// When it went back to the pool, for idle expiry.
    var idleSince: NIODeadline = .now()
    /// An HTTP/2 stream: used once, closed by the protocol when both sides have ended.
    let isStream: Bool

    init(channel: any Channel, key: UpstreamKey, handler: UpstreamHandler, isStream: Bool = false) {
        self.channel = channel
        self.key = key
        self.handler = handler
        self.isStream = isStream
    }

    var isUsable: Bool { channel.isActive && !handler.sawClose }

    func attach(_ exchange: UpstreamExchange) {
        handler.exchange = exchange
        handler.sawClose = false
    }

    func detach() { handler.exchange = nil }

    func write(_ part: HTTPClientRequestPart, flush: Bool) {
        if flush {
            channel.writeAndFlush(part, promise: nil)
        } else {
            channel.write(part, promise: nil)
        }
    }

    func flush() { channel.flush() }

    func setReading(_ enabled: Bool) {
        _ = try? channel.syncOptions?.setOption(ChannelOptions.autoRead, value: enabled)
    }

    func close() {
        detach()
        channel.close(promise: nil)
    }
}

/// Forwards the upstream's response parts to the attached exchange.
final class UpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    weak var exchange: UpstreamExchange?
    /// The upstream said `Connection: close` (or HTTP/1.0 without keep-alive).
    var sawClose = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if case .head(let head) = part, !head.isKeepAlive { sawClose = true }
        exchange?.upstreamReceived(part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        exchange?.upstreamReadComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        sawClose = true
        exchange?.upstreamFailed(UpstreamError.connectionClosed)
        exchange = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        sawClose = true
        exchange?.upstreamFailed(error)
        exchange = nil
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        exchange?.upstreamWritabilityChanged(isWritable: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }
}

enum UpstreamError: Error {
    case connectionClosed
}
