import Foundation
import Testing
@testable import GatehouseStore

@Suite("SQLiteStore listings")
struct ListingTests {
    /// Functions in two orgs, written out of order, plus a route that listings of functions skip.
    private func seed(_ store: SQLiteStore) async throws {
        try await store.write { writer in
            for (org, name) in [("b", "two"), ("a", "zeta"), ("b", "one"), ("a", "alpha"), ("a", "mid")] {
                try writer.put(functionKey(org, name), body: body("{}"), sealed: nil)
            }
            try writer.put(ResourceKey(kind: .route, org: "a", name: "route"), body: body("{}"), sealed: nil)
        }
    }

    private func names(_ documents: [StoredDocument]) -> [String] {
        documents.map { "\($0.key.org)/\($0.key.name)" }
    }

    @Test func listsOneOrgInNameOrder() async throws {
        try await withStore { store, _ in
            try await seed(store)
            let all = try await store.read { try $0.documents(kind: .function, org: "a", after: nil, limit: nil) }
            #expect(names(all) == ["a/alpha", "a/mid", "a/zeta"])
            #expect(try await store.read { try $0.count(kind: .function, org: "a") } == 3)
            #expect(try await store.read { try $0.count(kind: .function, org: "c") } == 0)
        }
    }

    @Test func paginatesWithAfterAndLimit() async throws {
        try await withStore { store, _ in
            try await seed(store)
            let first = try await store.read { try $0.documents(kind: .function, org: "a", after: nil, limit: 2) }
            #expect(names(first) == ["a/alpha", "a/mid"])
            let second = try await store.read {
                try $0.documents(kind: .function, org: "a", after: first.last?.key.name, limit: 2)
            }
            #expect(names(second) == ["a/zeta"])
            let none = try await store.read { try $0.documents(kind: .function, org: "a", after: "zeta", limit: 2) }
            #expect(none.isEmpty)
            let zero = try await store.read { try $0.documents(kind: .function, org: "a", after: nil, limit: 0) }
            #expect(zero.isEmpty)
            // The cursor need not name an existing document.
            let fromGap = try await store.read { try $0.documents(kind: .function, org: "a", after: "b", limit: nil) }
            #expect(names(fromGap) == ["a/mid", "a/zeta"])
        }
    }

    @Test func listsEveryOrgInOrgThenNameOrder() async throws {
        try await withStore { store, _ in
            try await seed(store)
            let all = try await store.read { try $0.documents(kind: .function, org: nil, after: nil, limit: nil) }
            #expect(names(all) == ["a/alpha", "a/mid", "a/zeta", "b/one", "b/two"])
            let page = try await store.read { try $0.documents(kind: .function, org: nil, after: "a/mid", limit: 2) }
            #expect(names(page) == ["a/zeta", "b/one"])
            let rest = try await store.read { try $0.documents(kind: .function, org: nil, after: "b/one", limit: 2) }
            #expect(names(rest) == ["b/two"])
        }
    }

    @Test func listsPlatformWideDocumentsUnderTheEmptyOrg() async throws {
        try await withStore { store, _ in
            try await store.write { writer in
                for name in ["beta", "alpha"] { try writer.put(.org(name), body: body("{}"), sealed: nil) }
            }
            let byOrg = try await store.read { try $0.documents(kind: .org, org: "", after: "alpha", limit: nil) }
            #expect(byOrg.map(\.key.name) == ["beta"])
            let everywhere = try await store.read { try $0.documents(kind: .org, org: nil, after: "/alpha", limit: nil) }
            #expect(everywhere.map(\.key.name) == ["beta"])
        }
    }

    @Test func refusesABadCursorOrLimit() async throws {
        try await withStore { store, _ in
            await #expect(throws: StoreError.invalidCursor("no-slash")) {
                try await store.read { try $0.documents(kind: .function, org: nil, after: "no-slash", limit: nil) }
            }
            await #expect(throws: StoreError.invalidLimit(-1)) {
                try await store.read { try $0.documents(kind: .function, org: "a", after: nil, limit: -1) }
            }
        }
    }
}
