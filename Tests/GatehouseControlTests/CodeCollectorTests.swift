import Foundation
import GatehouseModel
import GatehouseStore
import Logging
import Testing

@testable import GatehouseControl

/// Uploaded code that no function names any more (replaced, or its function deleted) is
/// removed, blobs and unpacked directories both; code in use, or changed lately, is kept.
@Suite struct CodeCollectorTests {
    @Test func unusedCodeGoesAfterTheGracePeriodAndCodeInUseStays() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("codegc-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("gatehouse.sqlite").path)
        defer { try? store.close() }
        let codes = CodeStore(root: directory.appendingPathComponent("code", isDirectory: true))

        let replaced = try codes.store(Array("def handle(r):\n    return 1\n".utf8), format: .file, filename: "main.py")
        let current = try codes.store(Array("def handle(r):\n    return 2\n".utf8), format: .file, filename: "main.py")
        let ofDeleted = try codes.store(Array("def handle(r):\n    return 3\n".utf8), format: .file, filename: "main.py")
        let shared = try codes.store(Array("def handle(r):\n    return 4\n".utf8), format: .file, filename: "app.py")
        @Sendable func function(_ name: String, _ code: Function.Code) -> Function {
            var function = Function(name: name, http: "")
            function.runtime = .process
            function.http = nil
            function.process = .init(language: .python3, handler: "main.handle")
            function.code = code
            return function
        }
        try await store.write { writer in
            _ = try writer.save(Org(name: "acme"), org: "", sealed: nil)
            _ = try writer.save(Org(name: "beta"), org: "", sealed: nil)
            _ = try writer.save(function("f", current), org: "acme", sealed: nil)
            _ = try writer.save(function("g", shared), org: "acme", sealed: nil)
            _ = try writer.save(function("g", shared), org: "beta", sealed: nil)
            _ = try writer.save(function("gone", ofDeleted), org: "beta", sealed: nil)
            _ = try writer.remove(Function.self, org: "beta", name: "gone")
        }
        // An upload that never finished, long ago.
        let staging = codes.root.appendingPathComponent(".unpack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: staging.path)

        let collector = CodeCollector(store: store, codes: codes, logger: Logger(label: "test"))
        // Within the grace period only the old staging directory goes.
        #expect(try await collector.collect(now: Date()) == 1)
        #expect(FileManager.default.fileExists(atPath: codes.blob(for: replaced).path))

        // Two hours on: each unused upload's blob and directory.
        #expect(try await collector.collect(now: Date(timeIntervalSinceNow: 7200)) == 4)
        for gone in [replaced, ofDeleted] {
            #expect(!FileManager.default.fileExists(atPath: codes.blob(for: gone).path))
            #expect(!FileManager.default.fileExists(atPath: codes.directory(for: gone).path))
        }
        for kept in [current, shared] {
            #expect(FileManager.default.fileExists(atPath: codes.blob(for: kept).path))
            #expect(FileManager.default.fileExists(atPath: codes.directory(for: kept).appendingPathComponent(kept.filename ?? "").path))
        }
        #expect(try await collector.collect(now: Date(timeIntervalSinceNow: 7200)) == 0)
    }
}
