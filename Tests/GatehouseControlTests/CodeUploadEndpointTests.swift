import Foundation
import GatehouseModel
import GatehouseRuntimes
import GatehouseStore
import HTTPTypes
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import Testing

@testable import GatehouseControl

/// A driver for `process` functions that stands in for the real workers, so these tests are
/// about the control plane: `prepare` is ready when the handler's module file was unpacked,
/// `invoke` echoes the request (the e2e tests run real workers).
struct EchoRuntime: FunctionRuntime {
    func prepare(_ function: DeployedFunction) async -> Function.Status {
        let module = (function.function.process?.handler.split(separator: ".").first).map(String.init) ?? "main"
        guard let directory = function.codeDirectory,
            FileManager.default.fileExists(atPath: directory.appendingPathComponent("\(module).py").path)
        else {
            return Function.Status(state: .error, reason: "no \(module).py in the code")
        }
        return Function.Status(state: .ready)
    }

    func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse {
        let type = request.request.header("content-type") ?? "application/octet-stream"
        return RuntimeResponse(
            status: 200, headers: [(name: "content-type", value: type), (name: "x-echo-method", value: request.request.method)],
            body: request.request.body, logs: Array("echoed\n".utf8))
    }
}

/// Archives made by Python's `tarfile` and `zipfile`, hostile ones included (GNU tar refuses to
/// write some of them).
enum Archives {
    struct Entry: Encodable {
        var name: String
        var type = "file"
        var data = ""
        var target = ""
    }

    static func make(_ format: String, _ entries: [Entry]) throws -> [UInt8] {
        let script = #"""
            import io, json, sys, tarfile, zipfile
            fmt, entries = sys.argv[1], json.loads(sys.argv[2])
            out = io.BytesIO()
            if fmt == "tar.gz":
                with tarfile.open(fileobj=out, mode="w:gz") as t:
                    for e in entries:
                        info = tarfile.TarInfo(e["name"])
                        data = e["data"].encode()
                        info.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                                     "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}[e["type"]]
                        info.linkname = e["target"]
                        info.mode = 0o755 if e["type"] == "dir" else 0o644
                        if e["type"] == "file":
                            info.size = len(data)
                            t.addfile(info, io.BytesIO(data))
                        else:
                            t.addfile(info)
            else:
                with zipfile.ZipFile(out, "w") as z:
                    for e in entries:
                        z.writestr(zipfile.ZipInfo(e["name"]), e["data"])
            sys.stdout.buffer.write(out.getvalue())
            """#
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let json = String(decoding: try JSONEncoder().encode(entries), as: UTF8.self)
        process.arguments = ["python3", "-c", script, format, json]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return Array(data)
    }
}

@Suite struct CodeUploadEndpointTests {
    static let function = "/v1/orgs/acme/functions/hello"
    static let processFunction = #"{"name":"hello","runtime":"process","process":{"language":"python3","handler":"main.handle"}}"#

    /// The admin API with function services over an echo driver, the runs service running (as
    /// the server runs it, in a service group, stopped gracefully at the end).
    static func withAPI(maxCodeBytes: Int = 1024 * 1024, _ body: @Sendable (AdminAPIHarness, URL) async throws -> Void) async throws {
        let made = NIOLockedValueBox<(runs: RunService, codeRoot: URL)?>(nil)
        try await AdminAPIHarness.run(functions: { store, directory in
            let codeRoot = directory.appendingPathComponent("code", isDirectory: true)
            try FileManager.default.createDirectory(at: codeRoot, withIntermediateDirectories: true)
            var runtimes = FunctionRuntimes()
            runtimes.register(EchoRuntime(), for: .process)
            let secrets = StoreSecretSource(store: store, sealer: try SecretSealer(keyBytes: [UInt8](repeating: 9, count: 32)))
            let invoker = FunctionInvoker(runtimes: runtimes, secrets: secrets, logger: Logger(label: "test"))
            let runs = RunService(store: store, invoker: invoker, codeRoot: codeRoot, executors: 2, logger: Logger(label: "test"))
            made.withLockedValue { $0 = (runs, codeRoot) }
            return FunctionServices(invoker: invoker, runs: runs, callbacks: EngineCallbacks(), codeRoot: codeRoot, maxBodyBytes: 64 * 1024, maxCodeBytes: maxCodeBytes)
        }) { api in
            let (runs, codeRoot) = try #require(made.withLockedValue { $0 })
            let group = ServiceGroup(services: [runs], gracefulShutdownSignals: [], cancellationSignals: [], logger: Logger(label: "test"))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    try await api.expect(201, .put, "/v1/orgs/acme", "{}")
                    try await api.expect(201, .put, Self.function, Self.processFunction)
                    try await body(api, codeRoot)
                } catch {
                    await group.triggerGracefulShutdown()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    /// Polls the function until its status leaves `building` (a background task writes it).
    static func settledStatus(_ api: AdminAPIHarness, path: String = function) async throws -> [String: Any] {
        for _ in 0..<200 {
            let status = try await api.expect(200, .get, path).json["status"] as? [String: Any] ?? [:]
            if status["state"] as? String != "building" { return status }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("the function stayed 'building'")
        return [:]
    }

    static func upload(_ api: AdminAPIHarness, _ bytes: [UInt8], type: String, query: String = "") async throws -> AdminAPIHarness.Reply {
        try await api.call(.put, "\(function)/code\(query)", bytes: bytes, headers: [.contentType: type])
    }

    @Test func eachFormatIsStoredByDigestUnpackedAndBuilt() async throws {
        try await Self.withAPI { api, codeRoot in
            let source = Array("def handle(event, context):\n    return event\n".utf8)
            let tarball = try Archives.make("tar.gz", [.init(name: "lib", type: "dir"), .init(name: "main.py", data: "x = 1\n"), .init(name: "lib/util.py")])
            let zip = try Archives.make("zip", [.init(name: "main.py", data: "y = 2\n"), .init(name: "pkg/__init__.py")])
            let uploads: [(bytes: [UInt8], type: String, query: String, format: String, file: String)] = [
                (source, "application/octet-stream", "?filename=main.py", "file", "main.py"),
                (tarball, "application/gzip", "", "tar.gz", "lib/util.py"),
                (zip, "application/zip", "", "zip", "pkg/__init__.py"),
            ]
            for upload in uploads {
                let reply = try await Self.upload(api, upload.bytes, type: upload.type, query: upload.query)
                #expect(reply.status == 202, "\(upload.format): \(reply.text)")
                let code = reply.json["code"] as? [String: Any] ?? [:]
                #expect(code["format"] as? String == upload.format)
                #expect(code["size"] as? Int == upload.bytes.count)
                #expect((reply.json["status"] as? [String: Any])?["state"] as? String == "building")
                let digest = try #require(code["digest"] as? String)
                let hex = String(digest.dropFirst("sha256:".count))
                #expect(FileManager.default.contents(atPath: codeRoot.appendingPathComponent("blobs/\(hex)").path) == Data(upload.bytes))
                let directory = upload.format == "file" ? "\(hex)-main.py" : hex
                #expect(FileManager.default.fileExists(atPath: codeRoot.appendingPathComponent("\(directory)/\(upload.file)").path))
                #expect(try await Self.settledStatus(api)["state"] as? String == "ready")

                // The stored upload comes back as it went in.
                let download = try await api.call(.get, "\(Self.function)/code", bytes: [], headers: [:])
                #expect(download.status == 200)
                #expect(download.headers[HTTPField.Name("digest")!] == digest)
            }
            // The same bytes again: the same code, nothing unpacked twice.
            let again = try await Self.upload(api, zip, type: "application/zip")
            #expect(again.status == 202)
            #expect(try await Self.settledStatus(api)["state"] as? String == "ready")
            let unpacked = try FileManager.default.contentsOfDirectory(atPath: codeRoot.path).filter { $0 != "blobs" }
            #expect(unpacked.count == 3, "\(unpacked)")
        }
    }

    @Test func codeWithoutTheHandlerBuildsToAnErrorThatInvokeReports() async throws {
        try await Self.withAPI { api, _ in
            #expect(try await Self.upload(api, Array("x".utf8), type: "application/octet-stream", query: "?filename=other.py").status == 202)
            let status = try await Self.settledStatus(api)
            #expect(status["state"] as? String == "error")
            #expect((status["reason"] as? String)?.contains("main.py") == true)
            let invoked = try await api.call(.post, "\(Self.function)/invoke", bytes: Array("{}".utf8), headers: [.contentType: "application/json"])
            #expect(invoked.status == 503, "\(invoked.text)")
            #expect(invoked.text.contains("failed to build"))
        }
    }

    @Test func hostileArchivesAreRefusedNamingTheEntry() async throws {
        try await Self.withAPI { api, codeRoot in
            let cases: [(format: String, entries: [Archives.Entry], entry: String)] = [
                ("tar.gz", [.init(name: "main.py"), .init(name: "../escape.py", data: "owned")], "../escape.py"),
                ("tar.gz", [.init(name: "/tmp/gatehouse-absolute-\(UUID().uuidString)")], "/tmp/gatehouse-absolute-"),
                ("tar.gz", [.init(name: "passwd", type: "symlink", target: "/etc/passwd")], "passwd"),
                ("tar.gz", [.init(name: "lib", type: "dir"), .init(name: "lib/up", type: "symlink", target: "../../outside")], "lib/up"),
                ("tar.gz", [.init(name: "main.py"), .init(name: "copy", type: "hardlink", target: "/etc/passwd")], "copy"),
                ("tar.gz", [.init(name: "pipe", type: "fifo")], "pipe"),
                ("zip", [.init(name: "../../escape.py", data: "owned")], "../../escape.py"),
                ("zip", [.init(name: "/abs.py", data: "owned")], "/abs.py"),
            ]
            for hostile in cases {
                let bytes = try Archives.make(hostile.format, hostile.entries)
                let reply = try await Self.upload(api, bytes, type: hostile.format == "zip" ? "application/zip" : "application/gzip")
                #expect(reply.status == 400, "\(hostile.entry): \(reply.text)")
                #expect(reply.text.contains(hostile.entry), "\(reply.text)")
            }
            // Nothing was left behind: no unpacked directory, no staging directory, no escapee.
            let left = try FileManager.default.contentsOfDirectory(atPath: codeRoot.path).filter { $0 != "blobs" }
            #expect(left.isEmpty, "\(left)")
            #expect(!FileManager.default.fileExists(atPath: codeRoot.deletingLastPathComponent().appendingPathComponent("escape.py").path))
            #expect(!FileManager.default.fileExists(atPath: codeRoot.appendingPathComponent("escape.py").path))
            // The function never left `pending`.
            #expect((try await api.expect(200, .get, Self.function).json["status"] as? [String: Any])?["state"] as? String == "pending")
        }
    }

    @Test func oversizedWronglyTypedAndUnnamedUploadsAreRefused() async throws {
        try await Self.withAPI(maxCodeBytes: 1024) { api, _ in
            let big = [UInt8](repeating: 0x61, count: 2048)
            #expect(try await Self.upload(api, big, type: "application/octet-stream", query: "?filename=main.py").status == 413)
            #expect(try await Self.upload(api, Array("x".utf8), type: "application/octet-stream").status == 400)
            #expect(try await Self.upload(api, Array("x".utf8), type: "application/octet-stream", query: "?filename=../x.py").status == 400)
            #expect(try await Self.upload(api, Array("x".utf8), type: "application/json").status == 415)
            #expect(try await Self.upload(api, [], type: "application/octet-stream", query: "?filename=main.py").status == 400)
            #expect(try await Self.upload(api, Array("not a zip".utf8), type: "application/zip").status == 400)
            // Content-Disposition names the file too.
            let named = try await api.call(
                .put, "\(Self.function)/code", bytes: Array("x = 1\n".utf8),
                headers: [.contentType: "application/octet-stream", .contentDisposition: "attachment; filename=\"main.py\""])
            #expect(named.status == 202, "\(named.text)")
            #expect((named.json["code"] as? [String: Any])?["filename"] as? String == "main.py")
        }
    }

    @Test func functionsThatRunNoUploadedCodeRefuseCode() async throws {
        try await Self.withAPI { api, _ in
            try await api.expect(201, .put, "/v1/orgs/acme/functions/proxy", #"{"runtime":"http","http":{"url":"http://127.0.0.1:9/"}}"#)
            let reply = try await api.call(
                .put, "/v1/orgs/acme/functions/proxy/code?filename=main.py", bytes: Array("x".utf8),
                headers: [.contentType: "application/octet-stream"])
            #expect(reply.status == 409)
            #expect(reply.text.contains("runs no uploaded code"))
            #expect(try await api.call(.put, "/v1/orgs/acme/functions/ghost/code?filename=main.py", bytes: [1], headers: [.contentType: "application/octet-stream"]).status == 404)
        }
    }

    @Test func codeAndStatusAreTheServersWhateverTheBodySays() async throws {
        try await Self.withAPI { api, _ in
            let forged = #""code":{"digest":"sha256:\#(String(repeating: "0", count: 64))","size":1,"format":"zip"},"status":{"state":"ready"}"#
            // Create: the body's code and status are ignored; a code runtime starts pending.
            let created = try await api.expect(
                201, .post, "/v1/orgs/acme/functions",
                #"{"name":"forged","runtime":"process","process":{"language":"python3","handler":"main.handle"},\#(forged)}"#)
            #expect(created.json["code"] == nil)
            #expect((created.json["status"] as? [String: Any])?["state"] as? String == "pending")
            // Other runtimes are ready at once.
            let proxy = try await api.expect(
                201, .post, "/v1/orgs/acme/functions", #"{"name":"proxy","runtime":"http","http":{"url":"http://127.0.0.1:9/"},\#(forged)}"#)
            #expect(proxy.json["code"] == nil)
            #expect((proxy.json["status"] as? [String: Any])?["state"] as? String == "ready")

            // Replace: the stored code and status are kept.
            #expect(try await Self.upload(api, Array("x = 1\n".utf8), type: "application/octet-stream", query: "?filename=main.py").status == 202)
            #expect(try await Self.settledStatus(api)["state"] as? String == "ready")
            let stored = try await api.expect(200, .get, Self.function)
            let digest = (stored.json["code"] as? [String: Any])?["digest"] as? String
            let replaced = try await api.expect(
                200, .put, Self.function,
                #"{"runtime":"process","process":{"language":"python3","handler":"main.handle"},"timeoutMs":5000,\#(forged)}"#)
            #expect((replaced.json["code"] as? [String: Any])?["digest"] as? String == digest)
            #expect((replaced.json["status"] as? [String: Any])?["state"] as? String == "ready")
            #expect(replaced.json["timeoutMs"] as? Int == 5000)

            // A changed runtime block no longer fits the built code: pending until uploaded again.
            let changed = try await api.expect(
                200, .put, Self.function, #"{"runtime":"process","process":{"language":"node","handler":"main.handle"}}"#)
            #expect((changed.json["status"] as? [String: Any])?["state"] as? String == "pending")
        }
    }
}

@Suite struct RunEndpointTests {
    static let function = CodeUploadEndpointTests.function

    static func readyFunction(_ api: AdminAPIHarness) async throws {
        #expect(try await CodeUploadEndpointTests.upload(api, Array("x = 1\n".utf8), type: "application/octet-stream", query: "?filename=main.py").status == 202)
        #expect(try await CodeUploadEndpointTests.settledStatus(api)["state"] as? String == "ready")
    }

    /// Polls a run until it has finished (runs are written off the request, in batches).
    static func finishedRun(_ api: AdminAPIHarness, _ id: String) async throws -> [String: Any] {
        for _ in 0..<200 {
            let reply = try await api.call(.get, "/v1/orgs/acme/runs/\(id)")
            if reply.status == 200, reply.json["finishedAt"] != nil { return reply.json }
            try await Task.sleep(for: .milliseconds(25))
        }
        Issue.record("run \(id) never finished")
        return [:]
    }

    @Test func aSynchronousInvocationAnswersAsTheFunctionAndIsRecorded() async throws {
        try await CodeUploadEndpointTests.withAPI { api, _ in
            try await Self.readyFunction(api)
            let reply = try await api.call(
                .post, "\(Self.function)/invoke", bytes: Array(#"{"n":1}"#.utf8), headers: [.contentType: "application/json"])
            #expect(reply.status == 200)
            #expect(reply.text == #"{"n":1}"#)
            #expect(reply.headers[HTTPField.Name("x-echo-method")!] == "POST")
            #expect(reply.headers[.contentType] == "application/json")
            let id = try #require(reply.headers[HTTPField.Name("x-gatehouse-run-id")!])
            #expect(Run.isValidID(id))
            let run = try await Self.finishedRun(api, id)
            #expect(run["status"] as? String == "succeeded")
            #expect(run["async"] as? Bool == false)
            #expect(run["httpStatus"] as? Int == 200)
            #expect(run["function"] as? String == "hello")
            #expect(run["output"] as? String == #"{"n":1}"#)
            #expect(run["logs"] as? String == "echoed\n")
        }
    }

    @Test func anAsynchronousInvocationIsAcceptedAndRunLater() async throws {
        try await CodeUploadEndpointTests.withAPI { api, _ in
            try await Self.readyFunction(api)
            let reply = try await api.call(
                .post, "\(Self.function)/invoke", bytes: Array("hi".utf8), headers: [.contentType: "text/plain", HTTPField.Name("prefer")!: "respond-async"])
            #expect(reply.status == 202, "\(reply.text)")
            let id = try #require(reply.json["id"] as? String)
            #expect(reply.json["status"] as? String == "queued")
            #expect(reply.headers[.location] == "/v1/orgs/acme/runs/\(id)")
            #expect(reply.headers[HTTPField.Name("preference-applied")!] == "respond-async")
            let run = try await Self.finishedRun(api, id)
            #expect(run["status"] as? String == "succeeded")
            #expect(run["async"] as? Bool == true)
            #expect(run["output"] as? String == "hi")
            // Once run, its stored request is gone.
            #expect(try await api.store.unfinishedRun(id: id) == nil)
        }
    }

    @Test func runsAreListedNewestFirstFilteredAndPaged() async throws {
        try await CodeUploadEndpointTests.withAPI { api, _ in
            try await Self.readyFunction(api)
            try await api.expect(201, .put, "/v1/orgs/acme/functions/other", CodeUploadEndpointTests.processFunction.replacingOccurrences(of: "hello", with: "other"))
            var ids: [String] = []
            for n in 0..<3 {
                let reply = try await api.call(.post, "\(Self.function)/invoke", bytes: Array("\(n)".utf8), headers: [:])
                ids.append(try #require(reply.headers[HTTPField.Name("x-gatehouse-run-id")!]))
                _ = try await Self.finishedRun(api, ids.last!)
            }
            // `other` is pending: refused, but the refusal is a run of its own.
            let refused = try await api.call(.post, "/v1/orgs/acme/functions/other/invoke", bytes: [], headers: [:])
            #expect(refused.status == 503)
            #expect(refused.text.contains("no code"))
            let otherId = try #require(refused.headers[HTTPField.Name("x-gatehouse-run-id")!])
            _ = try await Self.finishedRun(api, otherId)

            let page = try await api.expect(200, .get, "/v1/orgs/acme/runs?function=hello&limit=2")
            let items = page.json["items"] as? [[String: Any]] ?? []
            #expect(items.map { $0["id"] as? String } == [ids[2], ids[1]])
            let cursor = try #require(page.json["nextCursor"] as? String)
            let rest = try await api.expect(200, .get, "/v1/orgs/acme/runs?function=hello&limit=2&cursor=\(cursor)")
            #expect((rest.json["items"] as? [[String: Any]] ?? []).map { $0["id"] as? String } == [ids[0]])
            #expect(rest.json["nextCursor"] == nil)
            let all = try await api.expect(200, .get, "/v1/orgs/acme/runs")
            #expect((all.json["items"] as? [[String: Any]] ?? []).first?["id"] as? String == otherId)

            try await api.expect(400, .get, "/v1/orgs/acme/runs?limit=0")
            try await api.expect(400, .get, "/v1/orgs/acme/runs?cursor=nonsense")
            try await api.expect(400, .get, "/v1/orgs/acme/runs?function=Not_A_Name")
            try await api.expect(404, .get, "/v1/orgs/acme/runs/run_aaaaaaaaaaaaaaaaaaaaaaaaaa")
            try await api.expect(404, .get, "/v1/orgs/acme/runs/nonsense")
            try await api.expect(404, .get, "/v1/orgs/ghost/runs")
            try await api.expect(405, .delete, "/v1/orgs/acme/runs/\(ids[0])")
            try await api.expect(404, .post, "/v1/orgs/acme/functions/ghost/invoke")
        }
    }
}
