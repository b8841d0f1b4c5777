import Foundation
import Testing
@testable import GatehouseStore

@Suite("SQLiteStore revisions and concurrency", .timeLimit(.minutes(1)))
struct RevisionStreamTests {
    @Test func aSubscriberGetsTheCurrentRevisionThenLaterOnes() async throws {
        try await withStore { store, _ in
            try await store.write { try $0.put(functionKey("acme", "before"), body: body("{}"), sealed: nil) }
            var revisions = store.revisions().makeAsyncIterator()
            #expect(await revisions.next() == 1)

            try await store.write { try $0.put(functionKey("acme", "after"), body: body("{}"), sealed: nil) }
            #expect(await revisions.next() == 2)
            try await store.write { try $0.delete(functionKey("acme", "after")) }
            #expect(await revisions.next() == 3)
        }
    }

    @Test func everySubscriberIsTold() async throws {
        try await withStore { store, _ in
            var first = store.revisions().makeAsyncIterator()
            var second = store.revisions().makeAsyncIterator()
            #expect(await first.next() == 0)
            #expect(await second.next() == 0)
            try await store.write { try $0.put(functionKey("acme", "a"), body: body("{}"), sealed: nil) }
            #expect(await first.next() == 1)
            #expect(await second.next() == 1)
        }
    }

    @Test func writesThatChangeNoRevisionAreNotAnnounced() async throws {
        try await withStore { store, _ in
            var revisions = store.revisions().makeAsyncIterator()
            #expect(await revisions.next() == 0)
            try await store.write { try $0.setSetting("s", Data([1])) }
            try await store.write { try $0.put(functionKey("acme", "a"), body: body("{}"), sealed: nil) }
            #expect(await revisions.next() == 1)
        }
    }

    @Test func closingEndsTheStreams() async throws {
        try await withTemporaryDirectory { directory in
            let store = try SQLiteStore(path: directory.appendingPathComponent("s.sqlite").path)
            var revisions = store.revisions().makeAsyncIterator()
            #expect(await revisions.next() == 0)
            try store.close()
            #expect(await revisions.next() == nil)
            var late = store.revisions().makeAsyncIterator()
            #expect(await late.next() == nil)
        }
    }

    @Test func droppedSubscribersAreRemoved() async throws {
        let broadcaster = RevisionBroadcaster(current: 0)
        do {
            let stream = broadcaster.subscribe()
            withExtendedLifetime(stream) { #expect(broadcaster.subscriberCount == 1) }
        }
        #expect(broadcaster.subscriberCount == 0)

        let consumer = Task {
            for await _ in broadcaster.subscribe() {}
        }
        while broadcaster.subscriberCount == 0 { await Task.yield() }
        consumer.cancel()
        await consumer.value
        #expect(broadcaster.subscriberCount == 0)
    }

    @Test func fiftyConcurrentWritesAllLandWithDistinctRevisions() async throws {
        try await withStore { store, _ in
            let revisions = try await withThrowingTaskGroup(of: Int64.self) { group in
                for index in 0..<50 {
                    group.addTask {
                        try await store.write { writer in
                            try writer.put(functionKey("acme", "f\(index)"), body: body("{}"), sealed: nil).revision
                        }
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0.append($1) }
            }
            #expect(revisions.sorted() == Array(1...50))
            #expect(try await store.read { try $0.revision() } == 50)
            #expect(try await store.read { try $0.count(kind: .function, org: "acme") } == 50)
        }
    }
}
