import Foundation
import GatehouseModel
import GatehouseStore
import Logging
import Testing

@testable import GatehouseControl

/// Uploaded code that no function names any more (replaced, or its function deleted) is
/// removed at once, blobs and unpacked directories both; code in use, or held by an upload in
/// progress, is kept; staging an upload abandoned goes once it is old.
@Suite struct CodeCollectorTests {
    struct Fixture {
        let directory: URL
        let store: SQLiteStore
        let codes: CodeStore
        let holds = CodeHolds()

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("codegc-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            store = try SQLiteStore(path: directory.appendingPathComponent("gatehouse.sqlite").path)
            codes = CodeStore(root: directory.appendingPathComponent("code", isDirectory: true))
        }

        func upload(_ text: String, filename: String = "main.py") throws -> Function.Code {
            let bytes = Array(text.utf8)
            return try codes.store(
                bytes, as: CodeStore.code(of: bytes, format: .file, filename: filename), maxUnpackedBytes: CodeArchive.maxUnpackedBytes)
        }

        var collector: CodeCollector { CodeCollector(store: store, codes: codes, logger: Logger(label: "test"), holds: holds) }

        func exists(_ code: Function.Code) -> Bool {
            FileManager.default.fileExists(atPath: codes.blob(for: code).path)
                && FileManager.default.fileExists(atPath: codes.directory(for: code).appendingPathComponent(code.filename ?? "").path)
        }

        func gone(_ code: Function.Code) -> Bool {
            !FileManager.default.fileExists(atPath: codes.blob(for: code).path)
                && !FileManager.default.fileExists(atPath: codes.directory(for: code).path)
        }

        func close() {
            try? store.close()
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func function(_ name: String, _ code: Function.Code) -> Function {
        var function = Function(name: name, http: "")
        function.runtime = .process
        function.http = nil
        function.process = .init(language: .python3, handler: "main.handle")
        function.code = code
        return function
    }

    @Test func unusedCodeGoesAtOnceAndCodeInUseStays() async throws {
        let fixture = try Fixture()
        defer { fixture.close() }
        let replaced = try fixture.upload("def handle(r):\n    return 1\n")
        let current = try fixture.upload("def handle(r):\n    return 2\n")
        let ofDeleted = try fixture.upload("def handle(r):\n    return 3\n")
        let shared = try fixture.upload("def handle(r):\n    return 4\n", filename: "app.py")
        #expect(current.unpackedBytes == current.size)
        try await fixture.store.write { writer in
            _ = try writer.save(Org(name: "acme"), org: "", sealed: nil)
            _ = try writer.save(Org(name: "beta"), org: "", sealed: nil)
            _ = try writer.save(Self.function("f", current), org: "acme", sealed: nil)
            _ = try writer.save(Self.function("g", shared), org: "acme", sealed: nil)
            _ = try writer.save(Self.function("g", shared), org: "beta", sealed: nil)
            _ = try writer.save(Self.function("gone", ofDeleted), org: "beta", sealed: nil)
            _ = try writer.remove(Function.self, org: "beta", name: "gone")
        }
        // Staging: one an upload abandoned two hours ago, one of an upload under way.
        let abandoned = fixture.codes.root.appendingPathComponent(".unpack-\(UUID().uuidString)")
        let underWay = fixture.codes.root.appendingPathComponent(".unpack-\(UUID().uuidString)")
        for staging in [abandoned, underWay] {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: abandoned.path)

        // Each unused upload's blob and directory, and the abandoned staging: 5 entries.
        #expect(try await fixture.collector.collect(now: Date()) == 5)
        #expect(fixture.gone(replaced))
        #expect(fixture.gone(ofDeleted))
        #expect(fixture.exists(current))
        #expect(fixture.exists(shared))
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(FileManager.default.fileExists(atPath: underWay.path))
        #expect(try await fixture.collector.collect(now: Date()) == 0)
    }

    @Test func codeAnUploadHoldsIsSparedUntilReleased() async throws {
        let fixture = try Fixture()
        defer { fixture.close() }
        try await fixture.store.write { writer in _ = try writer.save(Org(name: "acme"), org: "", sealed: nil) }
        let held = try fixture.upload("def handle(r):\n    return 5\n")
        let hold = fixture.holds.hold(CodeStore.entries(of: held))
        #expect(try await fixture.collector.collect(now: Date()) == 0)
        #expect(fixture.exists(held))
        fixture.holds.release(hold)
        #expect(try await fixture.collector.collect(now: Date()) == 2)
        #expect(fixture.gone(held))
    }

    /// An upload that takes its hold after a pass has read the store, and releases it before the
    /// pass removes anything, is still spared by that pass: its function may be saved after the read.
    @Test func aHoldTakenDuringAPassIsSpared() throws {
        let fixture = try Fixture()
        defer { fixture.close() }
        let code = try fixture.upload("def handle(r):\n    return 6\n")
        let begun = fixture.holds.beginPass()
        fixture.holds.release(fixture.holds.hold(CodeStore.entries(of: code)))
        let removed = fixture.holds.endPass(begunAt: begun) { spared in
            fixture.codes.removeUnused(keeping: [], sparing: spared, abandonedBefore: Date())
        }
        #expect(removed == 0)
        #expect(fixture.exists(code))
        // The next pass began after the release: nothing names the code, and it goes.
        let next = fixture.holds.beginPass()
        #expect(fixture.holds.endPass(begunAt: next) { fixture.codes.removeUnused(keeping: [], sparing: $0, abandonedBefore: Date()) } == 2)
    }
}
