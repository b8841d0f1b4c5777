import Crypto
import Foundation
import GatehouseModel
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// `runtime: process`: functions run by local worker processes (python3, node, or any
/// executable speaking the same protocol), the default runtime of a fresh install. See
/// `runtimes/README.md` for the handler contract and `WorkerLaunch` for the isolation.
public final class ProcessWorkerRuntime: FunctionRuntime {
    private let group: any EventLoopGroup
    private let runtimesDirectory: URL
    private let workRoot: URL
    private let sandbox: WorkerSandbox
    private let interpreters: [Function.ProcessRuntime.Language: WorkerLaunch.Interpreter]
    private let maxResponseBytes: Int
    private let seccompFile: String?
    /// By function key and the digest of its secret values: new values mean new workers.
    private let pools = NIOLockedValueBox([String: (functionKey: String, pool: WorkerPool)]())

    /// - Parameters:
    ///   - runtimesDirectory: the bootstraps (default: the copy bundled with Gatehouse).
    ///   - workRoot: where workers' private directories go; keep it short (Unix socket paths).
    ///   - bubblewrap: false runs workers without bubblewrap even where it works (for
    ///     comparisons; functions' status then warns that they are not isolated).
    public init(
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, runtimesDirectory: URL? = nil, workRoot: URL? = nil,
        maxResponseBytes: Int = 10 * 1024 * 1024, bubblewrap: Bool = true
    ) {
        self.group = group
        self.runtimesDirectory =
            runtimesDirectory ?? Bundle.module.resourceURL!.appendingPathComponent("runtimes", isDirectory: true)
        if let workRoot {
            self.workRoot = workRoot
        } else {
            self.workRoot = WorkRoot.makeDefault()
            WorkRoot.removeAbandoned()
        }
        let machine = Self.machine
        var sandbox = bubblewrap ? machine.sandbox : WorkerSandbox(bubblewrap: nil, merged: machine.sandbox.merged)
        // Each worker's launch opens the filter from the work root (removed with it at shutdown).
        if let program = sandbox.seccomp {
            try? FileManager.default.createDirectory(at: self.workRoot, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            self.seccompFile = WorkerSandbox.writeFilter(program, in: self.workRoot.path)
            if seccompFile == nil { sandbox.seccomp = nil }
        } else {
            self.seccompFile = nil
        }
        self.sandbox = sandbox
        self.interpreters = machine.interpreters
        self.maxResponseBytes = maxResponseBytes
    }

    /// What this machine offers workers, probed once per process (each probe starts a
    /// process and waits for it: not something to repeat per runtime or per request).
    private static let machine: (sandbox: WorkerSandbox, interpreters: [Function.ProcessRuntime.Language: WorkerLaunch.Interpreter]) = {
        var interpreters: [Function.ProcessRuntime.Language: WorkerLaunch.Interpreter] = [:]
        if let python = Executables.interpreter(
            "python3", probe: ["-c", "import sys; print(sys.executable)"], prefixProbe: ["-c", "import sys; print(sys.base_prefix)"])
        {
            interpreters[.python3] = .init(executable: python.executable, prefix: python.prefix)
        }
        if let node = Executables.interpreter(
            "node", probe: ["-e", "console.log(process.execPath)"],
            prefixProbe: ["-e", "console.log(require('path').resolve(process.execPath, '../..'))"])
        {
            interpreters[.node] = .init(executable: node.executable, prefix: node.prefix)
        }
        return (WorkerSandbox.probe(), interpreters)
    }()

    /// Whether workers run under bubblewrap on this machine.
    public var isolated: Bool { sandbox.bubblewrap != nil }

    public func prepare(_ function: DeployedFunction) async -> Function.Status {
        guard let process = function.function.process, let code = function.codeDirectory else {
            return Function.Status(state: .error, reason: "a process function needs a 'process' block and uploaded code")
        }
        if process.language != .exec, interpreters[process.language] == nil {
            return Function.Status(state: .error, reason: "\(process.language.rawValue) is not installed on this Gatehouse")
        }
        let candidates = process.handlerFileCandidates
        let manager = FileManager.default
        guard let found = candidates.first(where: { manager.fileExists(atPath: code.appendingPathComponent($0).path) }) else {
            return Function.Status(
                state: .error,
                reason: "handler '\(process.handler)' needs \(candidates.map { "'\($0)'" }.joined(separator: " or ")) in the code, and the code has none")
        }
        if process.language == .exec, !manager.isExecutableFile(atPath: code.appendingPathComponent(found).path) {
            return Function.Status(state: .error, reason: "'\(found)' is not executable (chmod +x before packing it)")
        }
        return Function.Status(state: .ready, warnings: isolated ? nil : [WorkerSandbox.notIsolated])
    }

    public func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse {
        let pool = try self.pool(for: function, secrets: request.secrets, env: request.env)
        let worker = try await pool.acquire(deadline: request.deadline)
        let invocation = request.request
        var head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: invocation.method),
            uri: invocation.path + (invocation.query.isEmpty ? "" : "?" + invocation.query))
        for (name, value) in invocation.headers { head.headers.add(name: name, value: value) }
        head.headers.replaceOrAdd(name: "host", value: "worker")
        head.headers.replaceOrAdd(name: "content-length", value: String(invocation.body.count))
        head.headers.remove(name: "transfer-encoding")
        let maxBytes = maxResponseBytes
        let (sentHead, body, deadline) = (head, invocation.body, request.deadline)
        // At the deadline the worker is killed, which also ends the exchange waiting on it.
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            if !Task.isCancelled { worker.stop() }
        }
        let outcome: Result<(HTTPResponseHead, [UInt8], [UInt8]), any Error>
        do {
            outcome = .success(try await worker.invoke(sentHead, body: body, maxBodyBytes: maxBytes))
        } catch {
            outcome = .failure(ContinuousClock.now >= deadline ? RuntimeError.timeout(logs: []) : error)
        }
        timer.cancel()
        switch outcome {
        case .success(let (responseHead, body, logs)):
            await pool.release(worker, healthy: true)
            if responseHead.status.code == 500, let message = responseHead.headers.first(name: "x-gatehouse-function-error") {
                throw .functionFailed(message, logs: logs)
            }
            var headers = responseHead.headers.map { (name: $0.name, value: $0.value) }
            headers.removeAll { $0.name.lowercased() == "x-gatehouse-function-error" }
            return RuntimeResponse(status: Int(responseHead.status.code), headers: headers, body: body, logs: logs)
        case .failure(let error):
            // The work must stop: a timed-out or broken worker is killed, a new one starts later.
            let logs = worker.takeLogs()
            await pool.release(worker, healthy: false)
            if case RuntimeError.timeout = error { throw .timeout(logs: logs) }
            throw .functionFailed("the worker failed before answering (\(String(describing: error).prefix(200)))", logs: logs)
        }
    }

    public func retain(only live: Set<String>) async {
        let gone = pools.withLockedValue { pools in
            let gone = pools.filter { !live.contains($0.value.functionKey) }
            for key in gone.keys { pools[key] = nil }
            return gone.values.map(\.pool)
        }
        for pool in gone { await pool.close() }
    }

    public func shutdown() async {
        let all = pools.withLockedValue { pools in
            defer { pools = [:] }
            return pools.values.map(\.pool)
        }
        for pool in all { await pool.close() }
        WorkRoot.remove(workRoot)
    }

    /// A function's workers (all of them, and the idle ones), over its pools of every secret
    /// digest: for tests and diagnostics.
    func workerCounts(functionKey: String) async -> (total: Int, idle: Int) {
        let pools = self.pools.withLockedValue { $0.values.filter { $0.functionKey == functionKey }.map(\.pool) }
        var counts = (total: 0, idle: 0)
        for pool in pools {
            let (total, idle) = await pool.counts
            counts.total += total
            counts.idle += idle
        }
        return counts
    }

    private func pool(for function: DeployedFunction, secrets: [String: [String: String]], env: [String: String]) throws(RuntimeError)
        -> WorkerPool
    {
        guard let process = function.function.process, let code = function.codeDirectory else {
            throw .notReady("the function has no code")
        }
        let key = function.key + "#" + Self.digest(secrets)
        if let pool = pools.withLockedValue({ $0[key]?.pool }) { return pool }
        let launch = WorkerLaunch(
            function: function.function, org: function.org, process: process, codeDirectory: code, runtimesDirectory: runtimesDirectory,
            interpreter: interpreters[process.language], sandbox: sandbox,
            workRoot: workRoot.appendingPathComponent(String(Self.digest([key: [:]]).prefix(12)), isDirectory: true),
            secrets: secrets, env: env, seccompFile: seccompFile)
        // Workers of the same function with older secret values are replaced.
        let (pool, replaced) = pools.withLockedValue { pools -> (WorkerPool, [WorkerPool]) in
            if let existing = pools[key] { return (existing.pool, []) }
            let replaced = pools.filter { $0.value.functionKey == function.key }
            for old in replaced.keys { pools[old] = nil }
            let pool = WorkerPool(launch: launch, group: group)
            pools[key] = (function.key, pool)
            return (pool, replaced.values.map(\.pool))
        }
        for old in replaced { Task { await old.close() } }
        return pool
    }

    private static func digest(_ secrets: [String: [String: String]]) -> String {
        var hasher = SHA256()
        for name in secrets.keys.sorted() {
            hasher.update(data: Data(name.utf8 + [0]))
            for (key, value) in secrets[name]!.sorted(by: { $0.key < $1.key }) {
                hasher.update(data: Data(key.utf8 + [0] + value.utf8 + [0]))
            }
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
