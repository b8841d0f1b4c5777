import GatehouseModel
import NIOCore
import NIOHTTP1

/// In front of TLS on the edge's HTTPS port: a client that speaks plain HTTP there (`curl
/// http://host:8443/`) gets a 400 saying to use https, as nginx answers, instead of an empty
/// reply it cannot explain. A TLS record starts with 0x16; anything else that starts like an
/// HTTP request line gets the answer, and any other bytes a close.
final class PlainHTTPOnTLSPortHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        guard let first = bytes.readableBytesView.first else { return }
        if first == 0x16 {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        guard Self.looksLikeHTTP(bytes) else {
            context.close(promise: nil)
            return
        }
        var head = HTTPResponseHead(version: .http1_1, status: .badRequest)
        let problem = Problem.badRequest("this port speaks HTTPS: the request was sent as plain HTTP; use https://")
            .with(requestId: LoopIdentifiers().requestId())
        let body = problem.encoded()
        head.headers.add(name: "content-type", value: Problem.mediaType)
        head.headers.add(name: "content-length", value: String(body.count))
        head.headers.add(name: "connection", value: "close")
        var out = context.channel.allocator.buffer(capacity: 256 + body.count)
        out.writeString("HTTP/1.1 400 Bad Request\r\n")
        for (name, value) in head.headers { out.writeString("\(name): \(value)\r\n") }
        out.writeString("\r\n")
        out.writeBytes(body)
        let channel = context.channel
        context.writeAndFlush(NIOAny(out)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// A method token (uppercase letters) and a space: `GET `, `POST `, `OPTIONS `.
    static func looksLikeHTTP(_ bytes: ByteBuffer) -> Bool {
        let view = bytes.readableBytesView.prefix(10)
        guard let space = view.firstIndex(of: UInt8(ascii: " ")), space > view.startIndex else { return false }
        return view[..<space].allSatisfy { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }
    }
}
