import NIOCore
import NIOHPACK
import NIOHTTP2

/// What an HTTP/2 request's header block said before NIO's conversion to an HTTP/1-style head
/// hides it: `:authority` (the codec drops it when a `host` field is present, so the request
/// would be routed by `host`), the raw `content-length` values, and END_STREAM (whether a body
/// can follow). `EdgeRequestHandler` reads these to route by `:authority` and to frame the
/// upstream request itself.
final class HTTP2RequestFacts {
    private(set) var seen = false
    private(set) var authority: String?
    private(set) var hosts: [String] = []
    private(set) var contentLengths: [String] = []
    private(set) var endStream = false

    func record(_ headers: HPACKHeaders, endStream: Bool) {
        seen = true
        self.endStream = endStream
        for (name, value, _) in headers {
            switch name {
            case ":authority": authority = value
            case "host": hosts.append(value)
            case "content-length": contentLengths.append(value)
            default: continue
            }
        }
    }
}

/// Sits in each stream's pipeline before `HTTP2FramePayloadToHTTP1ServerCodec` and records the
/// first header block's facts; it passes every frame on unchanged.
final class HTTP2RequestInspector: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias InboundOut = HTTP2Frame.FramePayload

    private let facts: HTTP2RequestFacts

    init(facts: HTTP2RequestFacts) { self.facts = facts }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !facts.seen, case .headers(let headers) = unwrapInboundIn(data) {
            facts.record(headers.headers, endStream: headers.endStream)
        }
        context.fireChannelRead(data)
    }
}
