import NIOCore
import NIOHTTP2

/// Drains an HTTP/2 connection on shutdown (`ChannelShouldQuiesceEvent`): once no stream is in
/// flight, one GOAWAY naming the last stream the server saw, then close.
///
/// RFC 9113 lets streams below a GOAWAY's last-stream-id finish, but common clients (python's
/// httpcore among them) fail every pending request the moment any GOAWAY arrives, and idle pooled
/// clients never answer the PING of the two-step GOAWAY, which would hold the drain until the
/// grace period ends. So busy connections get their GOAWAY as the last response completes, idle
/// ones at once, and neither waits on the client.
final class HTTP2DrainDeferral: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    private var openStreams = 0
    private var lastStream = HTTP2StreamID.rootStream
    private var draining = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        draining = true
        closeIfDrained()
    }

    fileprivate func streamCreated(_ id: HTTP2StreamID) {
        openStreams += 1
        if id > lastStream { lastStream = id }
    }

    fileprivate func streamClosed() {
        openStreams -= 1
        closeIfDrained()
    }

    private func closeIfDrained() {
        guard draining, openStreams == 0, let context else { return }
        draining = false
        let goAway = HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: lastStream, errorCode: .noError, opaqueData: nil))
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(goAway)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The stream delegate to give `NIOHTTP2Handler`: counts streams here, then tells `next`.
    func streamDelegate(next: any NIOHTTP2StreamDelegate, eventLoop: any EventLoop) -> any NIOHTTP2StreamDelegate {
        Delegate(deferral: NIOLoopBound(self, eventLoop: eventLoop), next: next)
    }

    private struct Delegate: NIOHTTP2StreamDelegate {
        let deferral: NIOLoopBound<HTTP2DrainDeferral>
        let next: any NIOHTTP2StreamDelegate

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            deferral.value.streamCreated(id)
            next.streamCreated(id, channel: channel)
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            next.streamClosed(id, channel: channel)
            deferral.value.streamClosed()
        }
    }
}
