import Foundation
import GatehouseModel
import Testing

@testable import GatehouseRuntimes

@Suite struct WasmModuleRuntimeTests {
    private static let writer = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") MEMORY)
          (data (i32.const 1024) "Content-Type: text/plain\\n\\nhi")
          (func (export "_start")
            (i32.store (i32.const 0) (i32.const 1024)) (i32.store (i32.const 4) (i32.const 28))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
        """

    private func deploy(_ text: String, memoryPages: Int? = nil) throws -> DeployedFunction {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("wasm-tests-\(UUID().uuidString)")
        var function = Function(name: "fn", http: "http://x/")
        function.runtime = .wasm
        function.http = nil
        function.wasm = .init(memoryPages: memoryPages)
        function.code = .init(digest: "sha256:" + String(repeating: "0", count: 64), size: 1, format: .file, filename: "fn.wat")
        function.status = .init(state: .ready)
        let deployed = DeployedFunction(org: "acme", function: function, codeRoot: root)
        try FileManager.default.createDirectory(at: deployed.codeDirectory!, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: deployed.codeDirectory!.appendingPathComponent("fn.wat"))
        return deployed
    }

    private func request(timeoutMs: Int = 5_000) -> RuntimeRequest {
        RuntimeRequest(
            request: InvocationRequest(
                method: "GET", path: "/", context: InvocationContext(runId: RunID.generate(), requestId: "r", org: "acme", function: "fn", timeoutMs: timeoutMs)),
            mode: .http)
    }

    @Test func aModuleWithinItsMemoryAnswers() async throws {
        let runtime = WasmModuleRuntime(threads: 1)
        let function = try deploy(Self.writer.replacingOccurrences(of: "MEMORY", with: "1"), memoryPages: 4)
        #expect(await runtime.prepare(function).state == .ready)
        let response = try await runtime.invoke(request(), function: function)
        #expect(response.status == 200 && response.body == Array("hi".utf8))
        await runtime.shutdown()
    }

    @Test func moreInitialMemoryThanAllowedIsABuildError() async throws {
        let runtime = WasmModuleRuntime(threads: 1)
        let function = try deploy(Self.writer.replacingOccurrences(of: "MEMORY", with: "64"), memoryPages: 8)
        let status = await runtime.prepare(function)
        #expect(status.state == .error, "\(status)")
        #expect(status.reason?.contains("memoryPages") == true, "\(status)")
        await runtime.shutdown()
    }

    @Test func cgiOutputIsParsed() throws {
        let (status, headers, body) = try WAGI.response(Array("Status: 201 Created\r\nContent-Type: a/b\r\n\r\nbody".utf8))
        #expect(status == 201 && headers.map(\.name) == ["Content-Type"] && body == Array("body".utf8))
        #expect(try WAGI.response(Array("Location: /x\n\n".utf8)).status == 302)
        #expect(throws: RuntimeError.self) { try WAGI.response(Array("no header block".utf8)) }
    }

    @Test func theRequestBecomesCGIVariables() {
        var request = request()
        request.request.headers = [("X-Trace", "a"), ("content-type", "text/plain")]
        request.request.query = "a=1"
        request.secrets = ["db-main": ["pass.word": "s"]]
        request.env = ["STAGE": "t"]
        let env = WAGI.environment(request, function: "fn")
        #expect(env["REQUEST_METHOD"] == "GET" && env["QUERY_STRING"] == "a=1" && env["HTTP_X_TRACE"] == "a")
        #expect(env["CONTENT_TYPE"] == "text/plain" && env["STAGE"] == "t" && env["GATEHOUSE_SECRET_DB_MAIN_PASS_WORD"] == "s")
    }
}
