import Foundation
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseEdge

@Suite struct LoopIdentifiersTests {
    @Test func requestIdsAre128BitLowercaseHexAndDistinct() {
        let ids = LoopIdentifiers()
        let drawn = (0..<10_000).map { _ in ids.requestId() }
        #expect(Set(drawn).count == drawn.count)
        for id in drawn.prefix(100) {
            #expect(id.utf8.count == 32)
            #expect(id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        }
    }

    @Test func mintedTraceparentsAreValidW3CTraceContexts() {
        let ids = LoopIdentifiers()
        for _ in 0..<1_000 {
            let value = ids.traceparent()
            #expect(TraceContext.validated(value) == value, "\(value)")
        }
    }

    @Test func twoLoopsDoNotDrawTheSameSequence() {
        #expect(LoopIdentifiers().requestId() != LoopIdentifiers().requestId())
    }
}

@Suite struct DeadlineSweeperTests {
    final class Entry: SweptDeadline {
        var deadline: NIODeadline
        var sweeperSlot = -1
        var fired = 0
        init(_ deadline: NIODeadline) { self.deadline = deadline }
        func deadlinePassed() { fired += 1 }
    }

    @Test func firesOnlyPassedDeadlinesAndForgetsUnwatchedOnes() throws {
        let loop = EmbeddedEventLoop()
        let sweeper = DeadlineSweeper(eventLoop: loop)
        let now = NIODeadline.now()
        let early = Entry(now + .milliseconds(10))
        let late = Entry(now + .seconds(3600))
        let cancelled = Entry(now + .milliseconds(10))
        let alsoEarly = Entry(now + .milliseconds(5))
        for entry in [early, late, cancelled, alsoEarly] { sweeper.watch(entry) }
        sweeper.unwatch(cancelled)
        #expect(sweeper.count == 3)
        // EmbeddedEventLoop's clock is virtual but deadlines compare with the real one: wait
        // for them to pass, then let the sweep run.
        Thread.sleep(forTimeInterval: 0.05)
        loop.advanceTime(by: DeadlineSweeper.granularity)
        #expect(early.fired == 1 && alsoEarly.fired == 1)
        #expect(cancelled.fired == 0 && late.fired == 0)
        #expect(sweeper.count == 1)
        // Re-arming is just moving the deadline; a watched entry is not added twice.
        sweeper.watch(late)
        #expect(sweeper.count == 1)
        sweeper.unwatch(late)
        #expect(sweeper.count == 0 && late.sweeperSlot == -1)
        loop.advanceTime(by: .seconds(1))
        #expect(late.fired == 0)
    }

    @Test func swapRemoveKeepsSlotsConsistent() {
        let loop = EmbeddedEventLoop()
        let sweeper = DeadlineSweeper(eventLoop: loop)
        let entries = (0..<100).map { _ in Entry(.now() + .seconds(3600)) }
        entries.forEach { sweeper.watch($0) }
        for entry in entries where entry.sweeperSlot % 3 == 0 { sweeper.unwatch(entry) }
        let remaining = entries.filter { $0.sweeperSlot >= 0 }
        #expect(sweeper.count == remaining.count)
        #expect(Set(remaining.map(\.sweeperSlot)) == Set(0..<remaining.count))
        remaining.forEach { sweeper.unwatch($0) }
        #expect(sweeper.count == 0)
    }
}

@Suite struct FlushCoalescingTests {
    private func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: FlushCoalescingHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func buffer(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test func flushesOutsideAReadAreMergedIntoOneAtTheEndOfTheTick() throws {
        let channel = try channel()
        for text in ["a", "b", "c"] { channel.writeAndFlush(buffer(text), promise: nil) }
        // Nothing has left yet: the flush waits for the loop to run its tasks.
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        var out: [String] = []
        while let part = try channel.readOutbound(as: ByteBuffer.self) { out.append(String(buffer: part)) }
        #expect(out == ["a", "b", "c"])
    }

    @Test func flushesDuringAReadBurstGoOutAtReadComplete() throws {
        let channel = try channel()
        try channel.writeInbound(buffer("request"))
        _ = try channel.readInbound(as: ByteBuffer.self)
        // writeInbound already ended the burst; start one by hand to flush inside it.
        channel.pipeline.fireChannelRead(buffer("more"))
        channel.writeAndFlush(buffer("response"), promise: nil)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.pipeline.fireChannelReadComplete()
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "response")
    }

    @Test func closingFlushesWhatIsPending() throws {
        let channel = try channel()
        channel.writeAndFlush(buffer("last words"), promise: nil)
        _ = channel.close()
        #expect(try channel.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } == "last words")
    }
}
