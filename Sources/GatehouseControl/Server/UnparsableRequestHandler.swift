import Foundation
import GatehouseModel
import HTTPTypes
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers an HTTP/1.1 request the parser refuses (a 100,000-character target past NIO's
/// 80 KiB head limit, broken framing) with a `bad-request` problem and closes the connection,
/// where Hummingbird would write an empty 400: every answer of the control listener is a
/// problem, whatever went wrong. Sits between the HTTP codec and Hummingbird's handler.
final class UnparsableRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let logger: Logger
    private var answered = false

    init(logger: Logger) { self.logger = logger }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        guard !answered else { return }
        answered = true
        let requestId = UUID().uuidString.lowercased()
        logger.info("unparsable request refused", metadata: ["requestId": "\(requestId)", "error": "\(parseError)"])
        let problem = Problem.badRequest(Self.detail(for: parseError)).with(requestId: requestId)
        let body = context.channel.allocator.buffer(bytes: problem.encoded())
        let head = HTTPResponse(
            status: .badRequest,
            headerFields: [
                .contentType: Problem.mediaType, .contentLength: "\(body.readableBytes)", .connection: "close",
                HTTPField.Name("x-request-id")!: requestId,
            ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }

    static func detail(for error: HTTPParserError) -> String {
        switch error {
        case .headerOverflow: "the request line and header fields are longer than the server reads (80 KiB)"
        default: "the request is not well-formed HTTP/1.1"
        }
    }
}
