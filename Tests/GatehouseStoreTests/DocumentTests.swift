import Foundation
import GRDB
import Testing
@testable import GatehouseStore

@Suite("SQLiteStore documents")
struct DocumentTests {
    @Test func putReadReplaceDeleteRoundTrip() async throws {
        try await withStore { store, _ in
            let key = functionKey("acme", "hello")
            let put = try await store.write { try $0.put(key, body: body(#"{"a":1}"#), sealed: Data([1, 2, 3])) }
            #expect(put.key == key)
            #expect(put.revision == 1)
            #expect(put.body == body(#"{"a":1}"#))
            #expect(put.sealed == Data([1, 2, 3]))

            let read = try await store.read { try $0.document(key) }
            #expect(read == put)

            let replaced = try await store.write { try $0.put(key, body: body(#"{"a":2}"#), sealed: nil) }
            #expect(replaced.revision == 2)
            #expect(replaced.sealed == nil)
            #expect(try await store.read { try $0.document(key) } == replaced)

            let removed = try await store.write { try $0.delete(key) }
            #expect(removed == replaced)
            #expect(try await store.read { try $0.document(key) } == nil)
            #expect(try await store.read { try $0.revision() } == 3)
        }
    }

    @Test func deletingWhatIsAbsentChangesNothing() async throws {
        try await withStore { store, _ in
            let removed = try await store.write { try $0.delete(functionKey("acme", "nothing")) }
            #expect(removed == nil)
            #expect(try await store.read { try $0.revision() } == 0)
        }
    }

    @Test func revisionIncreasesByOneOverPutsAndDeletes() async throws {
        try await withStore { store, _ in
            #expect(try await store.read { try $0.revision() } == 0)
            var seen: [Int64] = []
            for index in 0..<5 {
                let key = functionKey("acme", "f\(index)")
                seen.append(try await store.write { try $0.put(key, body: body("{}"), sealed: nil) }.revision)
                _ = try await store.write { try $0.delete(key) }
                seen.append(try await store.read { try $0.revision() })
            }
            #expect(seen == Array(1...10))
        }
    }

    @Test func severalChangesInOneTransactionEachTakeARevision() async throws {
        try await withStore { store, _ in
            let revisions = try await store.write { writer in
                let first = try writer.put(functionKey("acme", "a"), body: body("{}"), sealed: nil).revision
                let second = try writer.put(functionKey("acme", "b"), body: body("{}"), sealed: nil).revision
                // Reads inside the transaction see its writes.
                #expect(try writer.count(kind: .function, org: "acme") == 2)
                return [first, second, try writer.revision()]
            }
            #expect(revisions == [1, 2, 2])
        }
    }

    @Test func aFailedTransactionLeavesNothingBehind() async throws {
        struct Abort: Error {}
        try await withStore { store, _ in
            await #expect(throws: Abort.self) {
                try await store.write { writer in
                    try writer.put(functionKey("acme", "a"), body: body("{}"), sealed: nil)
                    throw Abort()
                }
            }
            let document = try await store.read { try $0.document(functionKey("acme", "a")) }
            let revision = try await store.read { try $0.revision() }
            #expect(document == nil)
            #expect(revision == 0)
        }
    }

    @Test func replaceKeepsCreatedAtAndMovesUpdatedAt() async throws {
        try await withStore { store, _ in
            let key = functionKey("acme", "hello")
            let first = try await store.write { try $0.put(key, body: body("{}"), sealed: nil) }
            #expect(first.createdAt == first.updatedAt)
            try await Task.sleep(for: .milliseconds(20))
            let second = try await store.write { try $0.put(key, body: body("{}"), sealed: nil) }
            #expect(second.createdAt == first.createdAt)
            #expect(second.updatedAt > first.updatedAt)
            let read = try await store.read { try $0.document(key) }
            #expect(read?.createdAt == first.createdAt)
            #expect(read?.updatedAt == second.updatedAt)
        }
    }

    @Test func aReadTransactionCannotBeUsedToWrite() async throws {
        try await withStore { store, _ in
            let isWriter = try await store.read { reader in reader is any StoreWriter }
            #expect(!isWriter)
        }
    }

    @Test func settingsRoundTripWithoutAdvancingTheRevision() async throws {
        try await withStore { store, _ in
            #expect(try await store.read { try $0.setting("admin-token-hash") } == nil)
            try await store.write { try $0.setSetting("admin-token-hash", Data([0xAA])) }
            try await store.write { try $0.setSetting("admin-token-hash", Data([0xBB, 0xCC])) }
            try await store.write { try $0.setSetting("other", Data()) }
            #expect(try await store.read { try $0.setting("admin-token-hash") } == Data([0xBB, 0xCC]))
            #expect(try await store.read { try $0.setting("other") } == Data())
            #expect(try await store.read { try $0.revision() } == 0)
        }
    }

    @Test func theChangeLogRecordsEveryPutAndDelete() async throws {
        try await withStore { store, _ in
            try await store.write { try $0.put(functionKey("acme", "a"), body: body("{}"), sealed: nil) }
            try await store.write { try $0.delete(functionKey("acme", "a")) }
            let changes = try await store.database.read { db in
                try Row.fetchAll(db, sql: "SELECT revision, kind, org, name, op FROM changes ORDER BY revision")
                    .map { row -> String in
                        let revision: Int64 = try row.decode(atIndex: 0)
                        let kind: String = try row.decode(atIndex: 1)
                        let org: String = try row.decode(atIndex: 2)
                        let name: String = try row.decode(atIndex: 3)
                        let op: String = try row.decode(atIndex: 4)
                        return "\(revision) \(op) \(kind) \(org)/\(name)"
                    }
            }
            #expect(changes == ["1 put function acme/a", "2 delete function acme/a"])
        }
    }

    @Test func theChangeLogKeepsOnlyTheMostRecentRows() async throws {
        try await withStore { store, _ in
            // Start just below the limit so the test does not need ten thousand writes.
            try await store.database.write { db in
                try db.execute(sql: "UPDATE meta SET revision = ?", arguments: [SQLiteWriter.changeLogLength * 3])
            }
            for index in 0..<3 {
                try await store.write { try $0.put(functionKey("acme", "f\(index)"), body: body("{}"), sealed: nil) }
            }
            let oldest = try await store.database.read { db in
                try Int64.fetchOne(db, sql: "SELECT MIN(revision) FROM changes")
            }
            #expect(oldest == SQLiteWriter.changeLogLength * 3 + 1)
            try await store.database.write { db in
                try db.execute(sql: "INSERT INTO changes VALUES (1, 'function', 'acme', 'old', 'put', 0)")
            }
            try await store.write { try $0.put(functionKey("acme", "last"), body: body("{}"), sealed: nil) }
            let stale = try await store.database.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM changes WHERE revision = 1")
            }
            #expect(stale == 0)
        }
    }
}
