import NIOCore

/// Turns the many flushes an HTTP/2 connection receives in one event-loop tick into one.
///
/// Responses reach a client connection from upstream reads, outside the connection's own read
/// burst, so every finished stream used to flush on its own: one TLS record and one `write`
/// syscall per response, which was the largest single cost of proxying under load. A flush
/// that arrives outside this channel's read burst is postponed to a task at the end of the
/// current tick (NIO runs queued tasks after the tick's I/O events), so every response finished
/// in that tick leaves in one write. A flush during the read burst waits for `channelReadComplete`,
/// where the burst ends anyway. Writes are never held back, only the flush that pushes them out.
///
/// Sits between TLS and the HTTP/2 handler: the HTTP/2 handler's frames still go down at once,
/// TLS encrypts and the socket writes once per tick.
final class FlushCoalescingHandler: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny

    private var reading = false
    private var flushPending = false
    private var flushScheduled = false
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        if flushPending {
            flushPending = false
            context.flush()
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        reading = true
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The HTTP/2 handler flushes from inside this event: still "reading", so that flush is
        // only noted, and done once here.
        context.fireChannelReadComplete()
        reading = false
        flushNowIfPending(context)
    }

    func flush(context: ChannelHandlerContext) {
        flushPending = true
        guard !reading, !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [weak self] in
            guard let self else { return }
            self.flushScheduled = false
            if let context = self.context { self.flushNowIfPending(context) }
        }
    }

    /// A closing channel must not lose what is buffered: flush before the close goes down.
    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        flushNowIfPending(context)
        context.close(mode: mode, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        reading = false
        flushPending = false
        context.fireChannelInactive()
    }

    private func flushNowIfPending(_ context: ChannelHandlerContext) {
        guard flushPending else { return }
        flushPending = false
        context.flush()
    }
}
