import Foundation
import Testing

@testable import GatehouseStore

@Suite("Auth records: login state beside the documents")
struct AuthRecordTests {
    func record(_ id: String, family: String = "f", expiresAt: Date) -> AuthRecord {
        AuthRecord(kind: "session", id: id, org: "acme", family: family, expiresAt: expiresAt, body: Data("{}".utf8))
    }

    @Test func putReadDeleteAndSweepWithoutTouchingTheRevision() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("gatehouse.sqlite").path
            let now = Date(timeIntervalSince1970: 1_800_000_000)
            let store = try SQLiteStore(path: path)
            try await store.authRecords { writer in
                try writer.put(record("live", expiresAt: now.addingTimeInterval(60)))
                try writer.put(record("dead", family: "g", expiresAt: now.addingTimeInterval(-1)))
                try writer.put(record("sibling", expiresAt: now.addingTimeInterval(60)))
            }
            #expect(try await store.read { try $0.revision() } == 0)
            let live = try await store.authRecords { try $0.records(kind: "session", unexpiredAt: now).map(\.id).sorted() }
            #expect(live == ["live", "sibling"])
            try store.close()

            let reopened = try SQLiteStore(path: path)
            defer { try? reopened.close() }
            #expect(try await reopened.authRecords { try $0.record(kind: "session", id: "live") }?.org == "acme")
            #expect(try await reopened.authRecords { try $0.deleteExpired(before: now) } == 1)
            #expect(try await reopened.authRecords { try $0.deleteFamily(kind: "session", family: "f") } == 2)
            #expect(try await reopened.authRecords { try $0.delete(kind: "session", id: "live") } == false)
        }
    }
}
