import NIOCore

/// On the cleartext listener, tells HTTP/2 with prior knowledge (RFC 9113 §3.3: the client
/// starts with the connection preface) from HTTP/1.1 by the first bytes, then hands the
/// connection to the matching pipeline and steps aside.
final class PlainProtocolSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    enum Kind { case http1, http2 }

    private var buffered: ByteBuffer?
    private let configure: (Kind, ChannelHandlerContext) throws -> Void

    init(configure: @escaping (Kind, ChannelHandlerContext) throws -> Void) {
        self.configure = configure
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if var buffered {
            buffered.writeBuffer(&incoming)
            self.buffered = buffered
        } else {
            buffered = incoming
        }
        guard let bytes = buffered else { return }
        let seen = bytes.readableBytesView.prefix(Self.preface.count)
        let decided: Kind
        if !seen.elementsEqual(Self.preface.prefix(seen.count)) {
            decided = .http1
        } else if seen.count == Self.preface.count {
            decided = .http2
        } else {
            return  // a prefix of the preface so far: wait for more
        }
        do {
            try configure(decided, context)
        } catch {
            context.close(promise: nil)
            return
        }
        self.buffered = nil
        context.fireChannelRead(wrapInboundOut(bytes))
        context.fireChannelReadComplete()
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}
