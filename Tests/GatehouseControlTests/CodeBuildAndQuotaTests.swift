import Foundation
import GatehouseModel
import GatehouseRuntimes
import GatehouseStore
import Testing

@testable import GatehouseControl

/// The pure parts of a code upload's checks: what an org's storage counts, the archive limits
/// the quota narrows, unreadable archives told without host paths, and the handler compile check.
@Suite struct CodeBuildAndQuotaTests {
    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    static func processFunction(_ name: String, language: Function.ProcessRuntime.Language, handler: String, code: Function.Code?)
        -> Function
    {
        var function = Function(name: name, http: "")
        function.runtime = .process
        function.http = nil
        function.process = .init(language: language, handler: handler)
        function.code = code
        return function
    }

    @Test func anOrgCountsEachUploadOnceAndAnUploadDoesNotCountWhatItReplaces() async throws {
        let directory = try Self.temporaryDirectory("orgstorage")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(path: directory.appendingPathComponent("gatehouse.sqlite").path)
        defer { try? store.close() }
        let shared = Function.Code(digest: "sha256:" + String(repeating: "a", count: 64), size: 100, format: .zip, unpackedBytes: 900)
        let own = Function.Code(digest: "sha256:" + String(repeating: "b", count: 64), size: 10, format: .zip, unpackedBytes: 40)
        try await store.write { writer in
            _ = try writer.save(Org(name: "acme", storageQuotaBytes: 5000), org: "", sealed: nil)
            _ = try writer.save(Org(name: "beta"), org: "", sealed: nil)
            for (name, code) in [("f", shared), ("g", shared), ("h", own)] {
                _ = try writer.save(Self.processFunction(name, language: .python3, handler: "main.handle", code: code), org: "acme", sealed: nil)
            }
            _ = try writer.save(Self.processFunction("f", language: .python3, handler: "main.handle", code: shared), org: "beta", sealed: nil)
        }
        let storage = OrgStorage(defaultQuotaBytes: 2000)
        let (acme, beta, replacingH, replacingF) = try await store.read { reader in
            (
                try storage.status(of: try #require(try reader.resource(Org.self, org: "", name: "acme")), in: reader),
                try storage.status(of: try #require(try reader.resource(Org.self, org: "", name: "beta")), in: reader),
                try storage.usedBytes(org: "acme", in: reader, replacing: "h"),
                try storage.usedBytes(org: "acme", in: reader, replacing: "f")
            )
        }
        #expect(acme == Org.Status(storageUsedBytes: 1050, storageLimitBytes: 5000))
        #expect(beta == Org.Status(storageUsedBytes: 1000, storageLimitBytes: 2000))
        #expect(replacingH == 1000)
        // `g` still names the code `f` had: it still counts.
        #expect(replacingF == 1050)
    }

    @Test func theQuotasRoomBoundsWhatAnArchiveMayUnpack() throws {
        let directory = try Self.temporaryDirectory("archive-room")
        defer { try? FileManager.default.removeItem(at: directory) }
        let blob = directory.appendingPathComponent("code.tar.gz")
        let source = directory.appendingPathComponent("source")
        try FileManager.default.createDirectory(at: source, withIntermediateDirectories: false)
        try Data(count: 50000).write(to: source.appendingPathComponent("pad.bin"))
        #expect(try ToolProcess.run(["tar", "-czf", blob.path, "-C", source.path, "pad.bin"]).status == 0)
        let target = directory.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        #expect(throws: CodeArchive.Failure.self) {
            try CodeArchive.unpack(blob, format: .tarGzip, filename: nil, into: target, maxUnpackedBytes: 40000)
        }
        do {
            try CodeArchive.unpack(blob, format: .tarGzip, filename: nil, into: target, maxUnpackedBytes: 40000)
        } catch {
            guard case .tooLarge(let limit) = error else {
                Issue.record("expected tooLarge, got \(error)")
                return
            }
            #expect(limit == 40000)
        }
        try CodeArchive.unpack(blob, format: .tarGzip, filename: nil, into: target, maxUnpackedBytes: 60000)
        #expect(CodeStore.bytes(under: target) == 50000)
    }

    @Test func anUnreadableArchiveIsToldWithoutTheToolsOutput() throws {
        let directory = try Self.temporaryDirectory("archive-unreadable")
        defer { try? FileManager.default.removeItem(at: directory) }
        for format in [Function.Code.Format.zip, .tarGzip] {
            let blob = directory.appendingPathComponent("garbage-\(format.rawValue)")
            try Data("\u{1f}\u{8b}not really an archive".utf8).write(to: blob)
            do {
                try CodeArchive.unpack(blob, format: format, filename: nil, into: directory)
                Issue.record("\(format) garbage was unpacked")
            } catch {
                #expect(!error.description.contains(directory.path), "\(error.description)")
                #expect(!error.description.contains("Traceback") && !error.description.contains("tar:"), "\(error.description)")
                #expect(error.logDetail?.isEmpty == false, "the tool's words go to the log")
            }
        }
    }

    @Test(arguments: [
        (Function.ProcessRuntime.Language.python3, "main.handle", "main.py", "def handle(request)\n    return 1\n", "main.py, line 1: SyntaxError: expected ':'"),
        (.python3, "pkg.handle", "pkg/__init__.py", "x = (\n", "pkg/__init__.py, line 1: SyntaxError"),
        (.node, "index.handle", "index.js", "exports.handle = () => {\n  return {a: };\n};\n", "index.js, line 2: SyntaxError"),
    ])
    func aHandlerThatDoesNotCompileSaysWhere(language: Function.ProcessRuntime.Language, handler: String, file: String, source: String, reason: String)
        throws
    {
        let root = try Self.temporaryDirectory("syntax")
        defer { try? FileManager.default.removeItem(at: root) }
        let code = Function.Code(digest: "sha256:" + String(repeating: "c", count: 64), size: source.utf8.count, format: .zip)
        let directory = root.appendingPathComponent(code.directoryName)
        let path = directory.appendingPathComponent(file)
        try FileManager.default.createDirectory(at: path.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(source.utf8).write(to: path)
        let deployed = DeployedFunction(
            org: "acme", function: Self.processFunction("fn", language: language, handler: handler, code: code), codeRoot: root)
        let failure = try #require(HandlerSyntaxCheck.failure(of: deployed))
        #expect(failure.hasPrefix(reason), "\(failure)")
        #expect(!failure.contains(root.path))
        // Fixed, it compiles (and nothing of it ran).
        let ran = root.appendingPathComponent("ran").path
        let fixed =
            language == .node
            ? "require('fs').writeFileSync('\(ran)', 'x');\nexports.handle = () => ({a: 1});\n"
            : "open('\(ran)', 'w')\ndef handle(request):\n    return 1\n"
        try Data(fixed.utf8).write(to: path)
        #expect(HandlerSyntaxCheck.failure(of: deployed) == nil)
        #expect(!FileManager.default.fileExists(atPath: ran), "the check ran the handler's code")
    }
}
