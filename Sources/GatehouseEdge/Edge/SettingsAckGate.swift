import NIOCore

/// Lets a client's first request be judged by the limits Gatehouse announces, not by NIO's.
///
/// NIO applies the header-list size Gatehouse announces in its SETTINGS (64 KiB) only once the
/// client has acknowledged them; until then its own 16 KiB default holds, so a first request
/// carrying a 20 KiB bearer token, or a browser's large cookie, was a connection error.
/// RFC 9113 gives a client no reason to wait for that ACK (the initial limit is unlimited), and
/// none does. So the gate, in front of NIO's handler, reads frame headers only; when a header
/// block larger than `holdThreshold` arrives before the client's SETTINGS ACK, it holds the
/// bytes from that frame on until the ACK arrives, then passes the ACK first and the held frames
/// after it. Small requests — nearly all — pass at once: only a large first request waits, for
/// one round trip. Once the ACK has passed, the gate leaves the pipeline.
///
/// A value: bytes in, `Action` out, so every ordering is tested without a channel.
struct SettingsAckGate {
    /// A header block (HEADERS or CONTINUATION payload) larger than this may decode past NIO's
    /// 16 KiB default (HPACK compresses field values by up to ~1.6×), so it waits for the ACK.
    static let holdThreshold = 4 * 1024
    /// Beyond this much held, the gate gives up and passes everything on as it came (NIO then
    /// judges by its default): a client that never ACKs cannot make Gatehouse buffer more.
    static let maxHeld = 512 * 1024

    static let prefaceLength = 24
    private static let frameHeaderLength = 9
    private static let typeHeaders: UInt8 = 0x1
    private static let typeSettings: UInt8 = 0x4
    private static let typeContinuation: UInt8 = 0x9
    private static let flagAck: UInt8 = 0x1

    enum Action: Equatable {
        /// Pass these bytes on (possibly none) and keep watching.
        case forward([UInt8])
        /// Pass these bytes on; the gate's work is done.
        case finish([UInt8])
    }

    /// Bytes received and not yet passed on.
    private var buffer: [UInt8] = []
    /// Where in `buffer` the next frame header starts: everything before it has been judged.
    private var scan = 0
    /// Where the held part of `buffer` starts (a large header block's first frame), if holding.
    private var heldFrom: Int?
    /// Bytes of the client's connection preface not yet seen.
    private var prefaceLeft = SettingsAckGate.prefaceLength

    var isHolding: Bool { heldFrom != nil }

    mutating func received(_ bytes: some Collection<UInt8>) -> Action {
        buffer.append(contentsOf: bytes)
        if prefaceLeft > 0 {
            let seen = min(prefaceLeft, buffer.count - scan)
            scan += seen
            prefaceLeft -= seen
            if prefaceLeft > 0 { return release() }
        }
        while scan + Self.frameHeaderLength <= buffer.count {
            let length = Int(buffer[scan]) << 16 | Int(buffer[scan + 1]) << 8 | Int(buffer[scan + 2])
            let (type, flags) = (buffer[scan + 3], buffer[scan + 4])
            let end = scan + Self.frameHeaderLength + length
            if type == Self.typeSettings && flags & Self.flagAck != 0 && end <= buffer.count {
                // The ACK goes first, then what was held, then the rest, in their order.
                var out = buffer
                if let heldFrom {
                    out = Array(buffer[..<heldFrom]) + buffer[scan..<end] + buffer[heldFrom..<scan] + buffer[end...]
                }
                buffer = []
                return .finish(out)
            }
            if heldFrom == nil, type == Self.typeHeaders || type == Self.typeContinuation, length > Self.holdThreshold {
                heldFrom = scan
            }
            guard end <= buffer.count else { break }  // judged once it is whole
            scan = end
        }
        if let heldFrom, buffer.count - heldFrom > Self.maxHeld { return gaveUp() }
        return release()
    }

    /// The client did not ACK in time (or held too much): everything goes on as it came.
    mutating func gaveUp() -> Action {
        let out = buffer
        buffer = []
        return .finish(out)
    }

    /// Passes on what has been judged passable: all judged frames, or those before the held one.
    private mutating func release() -> Action {
        let count = heldFrom ?? scan
        guard count > 0 else { return .forward([]) }
        let out = Array(buffer[..<count])
        buffer.removeFirst(count)
        scan -= count
        if heldFrom != nil { heldFrom = 0 }
        return .forward(out)
    }
}

/// The gate in a pipeline: in front of `NIOHTTP2Handler`, gone once the client's SETTINGS ACK
/// has passed (or after `ackTimeout`, when whatever it held goes on unchanged).
final class SettingsAckGateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    static let ackTimeout = TimeAmount.seconds(5)

    private var gate = SettingsAckGate()
    private var timer: Scheduled<Void>?
    private var done = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !done else {
            context.fireChannelRead(data)
            return
        }
        let buffer = unwrapInboundIn(data)
        perform(gate.received(buffer.readableBytesView), context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
    }

    private func perform(_ action: SettingsAckGate.Action, context: ChannelHandlerContext) {
        switch action {
        case .forward(let bytes):
            if !bytes.isEmpty { context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: bytes))) }
            if gate.isHolding && timer == nil {
                let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                timer = context.eventLoop.scheduleTask(in: Self.ackTimeout) {
                    let (handler, context) = loopBound.value
                    handler.perform(handler.gate.gaveUp(), context: context)
                    context.fireChannelReadComplete()
                }
            }
        case .finish(let bytes):
            done = true
            timer?.cancel()
            if !bytes.isEmpty { context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: bytes))) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
