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
    fileprivate static let typeHeaders: UInt8 = 0x1
    fileprivate static let typeSettings: UInt8 = 0x4
    fileprivate static let typeContinuation: UInt8 = 0x9
    fileprivate static let flagAck: UInt8 = 0x1

    enum Action: Equatable {
        /// Pass these bytes on (possibly none) and keep watching.
        case forward([UInt8])
        /// Pass these bytes on; the gate's work is done.
        case finish([UInt8])
    }

    /// Bytes received and not yet passed on: while holding, everything from the held frame on.
    private var buffer: [UInt8] = []
    /// Bytes of the client's connection preface not yet seen.
    private var prefaceLeft = SettingsAckGate.prefaceLength
    /// Payload bytes of the current frame still to come. A frame that is not held passes as its
    /// bytes arrive: the gate never waits for a whole frame it does not hold (garbage reading as
    /// a 16 MB frame goes straight on, for NIO to refuse).
    private var payloadLeft = 0
    /// Whether a large header block is being held until the ACK.
    private(set) var isHolding = false
    /// While holding: where in `buffer` the next frame header starts.
    private var heldScan = 0

    mutating func received(_ bytes: some Collection<UInt8>) -> Action {
        buffer.append(contentsOf: bytes)
        return isHolding ? scanHeld() : scanPassing()
    }

    /// Not holding: pass on the preface and frames as they come, until a large header block
    /// (then hold) or the ACK (then finish).
    private mutating func scanPassing() -> Action {
        var passed = 0
        while passed < buffer.count {
            if prefaceLeft > 0 {
                let n = min(prefaceLeft, buffer.count - passed)
                prefaceLeft -= n
                passed += n
            } else if payloadLeft > 0 {
                let n = min(payloadLeft, buffer.count - passed)
                payloadLeft -= n
                passed += n
            } else {
                guard let header = frameHeader(at: passed) else { break }
                if header.isAck { return .finish(takeAll()) }
                if header.isHeaderBlock && header.length > Self.holdThreshold {
                    let out = Array(buffer[..<passed])
                    buffer.removeFirst(passed)
                    isHolding = true
                    heldScan = 0
                    return scanHeld(passing: out)
                }
                passed += Self.frameHeaderLength
                payloadLeft = header.length
            }
        }
        let out = Array(buffer[..<passed])
        buffer.removeFirst(passed)
        return .forward(out)
    }

    /// Holding: look through the held frames for the ACK; it goes first, then all held bytes.
    private mutating func scanHeld(passing before: [UInt8] = []) -> Action {
        while let header = frameHeader(at: heldScan) {
            let end = heldScan + Self.frameHeaderLength + header.length
            if header.isAck {
                let out = before + buffer[heldScan..<end] + buffer[..<heldScan] + buffer[end...]
                buffer = []
                return .finish(out)
            }
            heldScan = end
            if heldScan > buffer.count { break }
        }
        if buffer.count > Self.maxHeld { return .finish(before + takeAll()) }
        return .forward(before)
    }

    /// The client did not ACK in time (or held too much): everything goes on as it came.
    mutating func gaveUp() -> Action { .finish(takeAll()) }

    /// Everything buffered, which leaves the gate empty.
    private mutating func takeAll() -> [UInt8] {
        let out = buffer
        buffer = []
        return out
    }

    private struct FrameHeader {
        let length: Int
        let type: UInt8
        let flags: UInt8
        var isAck: Bool { type == SettingsAckGate.typeSettings && flags & SettingsAckGate.flagAck != 0 }
        var isHeaderBlock: Bool { type == SettingsAckGate.typeHeaders || type == SettingsAckGate.typeContinuation }
    }

    private func frameHeader(at offset: Int) -> FrameHeader? {
        guard offset + Self.frameHeaderLength <= buffer.count else { return nil }
        return FrameHeader(
            length: Int(buffer[offset]) << 16 | Int(buffer[offset + 1]) << 8 | Int(buffer[offset + 2]),
            type: buffer[offset + 3], flags: buffer[offset + 4])
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
