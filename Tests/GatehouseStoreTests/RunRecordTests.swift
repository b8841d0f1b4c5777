import Foundation
import GatehouseModel
import Testing

@testable import GatehouseStore

@Suite("Run records: the runs table and queued requests")
struct RunRecordTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    /// `run_` and 26 base32 characters, ordered like `n`: its base-26 digits as letters.
    static func id(_ n: Int) -> String {
        let letters = String(n, radix: 26).map { digit -> Character in
            let value = Int(String(digit), radix: 26)!
            return Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(value)))
        }
        return "run_" + String(repeating: "a", count: 26 - letters.count) + String(letters)
    }

    static func run(_ n: Int, org: String = "acme", function: String = "hello", status: Run.Status = .succeeded, age: TimeInterval = 0)
        -> Run
    {
        Run(id: id(n), org: org, function: function, status: status, async: false, createdAt: start.addingTimeInterval(Double(n) - age))
    }

    @Test func idsAreValid() {
        #expect(Run.isValidID(Self.id(0)))
        #expect(Run.isValidID(Self.id(4_095)))
    }

    @Test func listsNewestFirstWithCursorsAndAFunctionFilter() async throws {
        try await withStore { store, _ in
            try await store.saveRuns((0..<7).map { Self.run($0, function: $0.isMultiple(of: 2) ? "even" : "odd") })
            try await store.saveRuns([Self.run(100, org: "other")])
            let first = try await store.runs(org: "acme", function: nil, after: nil, limit: 3)
            #expect(first.map(\.id) == [6, 5, 4].map(Self.id))
            let second = try await store.runs(org: "acme", function: nil, after: first.last?.id, limit: 3)
            #expect(second.map(\.id) == [3, 2, 1].map(Self.id))
            let last = try await store.runs(org: "acme", function: nil, after: second.last?.id, limit: 3)
            #expect(last.map(\.id) == [Self.id(0)])
            let even = try await store.runs(org: "acme", function: "even", after: nil, limit: 10)
            #expect(even.map(\.id) == [6, 4, 2, 0].map(Self.id))
            // Another org's run is neither listed nor readable by id here.
            #expect(try await store.run(org: "acme", id: Self.id(100)) == nil)
            #expect(try await store.run(org: "other", id: Self.id(100))?.org == "other")
        }
    }

    @Test func savingARunAgainReplacesIt() async throws {
        try await withStore { store, _ in
            var run = Self.run(1, status: .running)
            try await store.saveRuns([run])
            run.status = .failed
            run.errorType = .functionError
            run.error = "boom"
            try await store.saveRuns([run])
            let stored = try await store.run(org: "acme", id: run.id)
            #expect(stored == run)
            #expect(try await store.runs(org: "acme", function: nil, after: nil, limit: 10).count == 1)
        }
    }

    @Test func aQueuedRunAndItsRequestSurviveAReopenUntilTheRunFinishes() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("gatehouse.sqlite").path
            let queued = Self.run(1, status: .queued)
            let running = Self.run(2, status: .running)
            do {
                let store = try SQLiteStore(path: path)
                try await store.enqueueRun(queued, request: Data("request-1".utf8))
                try await store.enqueueRun(running, request: Data("request-2".utf8))
                try await store.saveRuns([Self.run(3)])
                try store.close()
            }
            let store = try SQLiteStore(path: path)
            defer { try? store.close() }
            let unfinished = try await store.unfinishedRuns()
            #expect(unfinished.map(\.run.id) == [queued.id, running.id])
            #expect(unfinished.map(\.request) == [Data("request-1".utf8), Data("request-2".utf8)])
            #expect(try await store.unfinishedRun(id: queued.id)?.request == Data("request-1".utf8))
            #expect(try await store.unfinishedRun(id: Self.id(3)) == nil)

            var finished = queued
            finished.status = .succeeded
            try await store.finishRun(finished)
            #expect(try await store.unfinishedRun(id: queued.id) == nil)
            #expect(try await store.unfinishedRuns().map(\.run.id) == [running.id])
            #expect(try await store.run(org: "acme", id: queued.id)?.status == .succeeded)
        }
    }

    @Test func pruningKeepsTheNewestPerOrgAndUnfinishedRuns() async throws {
        try await withStore { store, _ in
            try await store.saveRuns((0..<10).map { Self.run($0) })
            try await store.saveRuns((20..<23).map { Self.run($0, org: "other") })
            // An old run still queued is not pruned: it has not happened yet.
            try await store.enqueueRun(Self.run(30, status: .queued, age: 30 * 86_400), request: Data())
            try await store.pruneRuns(keepPerOrg: 4, before: Self.start.addingTimeInterval(-86_400))
            let kept = try await store.runs(org: "acme", function: nil, after: nil, limit: 100)
            #expect(kept.map(\.id) == [9, 8, 7, 6, 30].map(Self.id))
            #expect(try await store.runs(org: "other", function: nil, after: nil, limit: 100).count == 3)
            #expect(try await store.unfinishedRuns().map(\.run.id) == [Self.id(30)])

            // Finished runs older than the horizon go, however few the org has.
            try await store.pruneRuns(keepPerOrg: 1_000, before: Self.start.addingTimeInterval(100))
            #expect(try await store.runs(org: "other", function: nil, after: nil, limit: 100).isEmpty)
        }
    }
}
