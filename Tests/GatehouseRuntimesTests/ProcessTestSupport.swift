import Foundation
import GatehouseModel
import Testing

@testable import GatehouseRuntimes

/// Real code in a temporary directory, run by a real `ProcessWorkerRuntime` (real python3 and
/// node processes, under bubblewrap when it works on this machine). Each test makes its own
/// fixture and calls `close()`, which stops every worker and removes the files.
struct ProcessFixture {
    let runtime: ProcessWorkerRuntime
    let codeRoot: URL
    /// Where workers' private directories go (short: Unix socket paths are limited).
    let workRoot: URL

    init(bubblewrap: Bool = true) throws {
        let tag = UInt32.random(in: 0...UInt32.max)
        codeRoot = FileManager.default.temporaryDirectory.appendingPathComponent("gh-code-\(tag)", isDirectory: true)
        workRoot = URL(fileURLWithPath: "/tmp/ghp-\(tag)", isDirectory: true)
        try FileManager.default.createDirectory(at: codeRoot, withIntermediateDirectories: true)
        runtime = ProcessWorkerRuntime(workRoot: workRoot, bubblewrap: bubblewrap)
    }

    func close() async {
        await runtime.shutdown()
        try? FileManager.default.removeItem(at: codeRoot)
    }

    /// A function named `name` (unique per call unless given) whose code is `files`.
    /// `process` is the JSON of the process block without its braces.
    func deploy(
        _ files: [String: String], process: String, name: String = "f\(UInt32.random(in: 0...UInt32.max))", mode: String = "http",
        executable: Set<String> = []
    ) throws -> DeployedFunction {
        let hex = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let directory = codeRoot.appendingPathComponent(hex, isDirectory: true)
        for (path, content) in files {
            let file = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: file)
            try FileManager.default.setAttributes(
                [.posixPermissions: executable.contains(path) ? 0o755 : 0o644], ofItemAtPath: file.path)
        }
        let json = #"{"name":"\#(name)","runtime":"process","mode":"\#(mode)","process":{\#(process)}}"#
        var function = try StrictJSON.decode(Function.self, from: Data(json.utf8))
        try function.validate()
        function.revision = 1
        function.code = .init(digest: "sha256:" + hex, size: 1, format: .tarGzip)
        function.status = .init(state: .ready)
        return DeployedFunction(org: "acme", function: function, codeRoot: codeRoot)
    }

    static func request(
        _ function: DeployedFunction, method: String = "GET", path: String = "/", query: String = "", body: String = "",
        headers: [(name: String, value: String)] = [], timeoutMs: Int = 10_000, secrets: [String: [String: String]] = [:],
        env: [String: String] = [:]
    ) -> RuntimeRequest {
        let context = InvocationContext(
            runId: RunID.generate(), requestId: "req-\(UInt16.random(in: 0...UInt16.max))", org: function.org, function: function.name,
            timeoutMs: timeoutMs)
        let request = InvocationRequest(method: method, path: path, query: query, headers: headers, body: Array(body.utf8), context: context)
        return RuntimeRequest(request: request, mode: function.function.effectiveMode, secrets: secrets, env: env)
    }

    /// One invocation in the given mode (envelope mode wraps the request as the invoker does).
    func invoke(
        _ function: DeployedFunction, method: String = "GET", path: String = "/", query: String = "", body: String = "",
        headers: [(name: String, value: String)] = [], timeoutMs: Int = 10_000, secrets: [String: [String: String]] = [:],
        env: [String: String] = [:]
    ) async throws(RuntimeError) -> RuntimeResponse {
        var request = Self.request(
            function, method: method, path: path, query: query, body: body, headers: headers, timeoutMs: timeoutMs, secrets: secrets,
            env: env)
        if request.mode == .envelope {
            request.request = Envelope.request(wrapping: request.request, payload: nil, secrets: secrets, env: env)
        }
        return try await runtime.invoke(request, function: function)
    }

    /// The host's processes whose environment holds `GATEHOUSE_FUNCTION=<name>`: a function's
    /// workers (and, under bubblewrap, their bwrap parents).
    static func processes(of function: DeployedFunction) -> [Int32] {
        let needle = Array("GATEHOUSE_FUNCTION=\(function.name)".utf8) + [0]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry), pid != getpid(),
                let environ = FileManager.default.contents(atPath: "/proc/\(entry)/environ")
            else { return nil }
            let bytes = [UInt8](environ)
            // Entries are NUL-separated; match a whole entry.
            var start = 0
            for (index, byte) in bytes.enumerated() where byte == 0 {
                if Array(bytes[start...index]) == needle { return pid }
                start = index + 1
            }
            return nil
        }
    }

    /// Polls `condition` every 50 ms for up to `seconds`; whether it became true.
    static func eventually(within seconds: Double, _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return await condition()
    }
}

extension RuntimeResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var logText: String { String(decoding: logs, as: UTF8.self) }
    func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name }?.value }
    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }
}

extension RuntimeError {
    var logText: String {
        switch self {
        case .timeout(let logs), .functionFailed(_, let logs): String(decoding: logs, as: UTF8.self)
        default: ""
        }
    }
}
