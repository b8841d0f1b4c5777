import Foundation
import GatehouseModel
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WAT
// The store's resource limiter is SPI in WasmKit 0.4.2 ("consider making this public"); it is
// the only way to bound linear memory growth, which the function's `wasm.memoryPages` promises.
@_spi(Fuzzing) import WasmKit
import WasmKitWASI

/// `runtime: wasm`: a WebAssembly module run inside Gatehouse by WasmKit, WAGI-style (see
/// `WAGI`), WASI preview 1 with no preopened directory (no filesystem) and no sockets.
///
/// The module is parsed once and cached by function key; each request gets a fresh instance
/// on a thread of its own pool (execution is CPU-bound and synchronous: never on an event loop
/// or the concurrency pool). Limits hold: linear memory may not grow past `wasm.memoryPages`,
/// and execution is metered by fuel, budgeted from the time left to the deadline at the
/// engine's measured speed, so a module stuck in a loop traps and frees its thread.
public final class WasmModuleRuntime: FunctionRuntime {
    private let engine = Engine(configuration: EngineConfiguration(fuelMetering: true))
    /// Compiles (and so validates) every function at instantiation: used once per build, so a
    /// module whose code does not validate fails its build rather than its first request.
    private let checkingEngine = Engine(configuration: EngineConfiguration(compilationMode: .eager, fuelMetering: true))
    private let pool: NIOThreadPool
    private let modules = NIOLockedValueBox([String: Module]())
    /// Fuel per second on this machine, measured once.
    private let fuelRate = NIOLockedValueBox<Double?>(nil)

    public init(threads: Int = System.coreCount) {
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
        // Measured now, off any request: the first invocation must not pay for it.
        let (engine, rate) = (self.engine, self.fuelRate)
        pool.submit { _ in
            let measured = Self.calibrate(engine: engine)
            rate.withLockedValue { $0 = measured }
        }
    }

    public func prepare(_ function: DeployedFunction) async -> GatehouseModel.Function.Status {
        do {
            let module = try await self.module(for: function)
            // Instantiating once (no code runs but a start section) finds what parsing cannot:
            // imports WASI does not provide, more initial memory than `wasm.memoryPages`.
            let maxBytes = (function.function.wasm ?? .init()).effectiveMemoryPages * 65_536
            let engine = self.checkingEngine
            try await pool.runIfActive {
                let wasi = try WASIBridgeToHost(args: [], environment: [:], preopens: [])
                try wasi.runAndClose { wasi in
                    let store = Store(engine: engine)
                    store.resourceLimiter = MemoryLimit(maxBytes: maxBytes)
                    var imports = Imports()
                    wasi.link(to: &imports, store: store)
                    _ = try module.instantiate(store: store, imports: imports)
                }
            }
            return .init(state: .ready)
        } catch {
            modules.withLockedValue { $0[function.key] = nil }
            return .init(state: .error, reason: Self.describe(error))
        }
    }

    public func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse {
        let module: Module
        do {
            module = try await self.module(for: function)
        } catch {
            throw .notReady(Self.describe(error))
        }
        let maxBytes = (function.function.wasm ?? .init()).effectiveMemoryPages * 65_536
        let rate = await measuredFuelRate()
        let engine = self.engine
        let name = function.name
        let result: Result<RuntimeResponse, RuntimeError>
        do {
            result = try await pool.runIfActive {
                Self.execute(module, request: request, function: name, engine: engine, maxMemoryBytes: maxBytes, fuelPerSecond: rate)
            }
        } catch {
            throw .system("the wasm thread pool is stopped")
        }
        return try result.get()
    }

    public func retain(only live: Set<String>) async {
        modules.withLockedValue { modules in modules = modules.filter { live.contains($0.key) } }
    }

    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }

    // MARK: - Modules

    private func module(for function: DeployedFunction) async throws -> Module {
        if let cached = modules.withLockedValue({ $0[function.key] }) { return cached }
        guard let directory = function.codeDirectory else { throw WasmCodeError("the function has no code uploaded") }
        let spec = function.function.wasm ?? .init()
        let module = try await pool.runIfActive { () throws -> Module in
            let path = try Self.modulePath(in: directory, named: spec.module)
            guard let data = FileManager.default.contents(atPath: path.path) else {
                throw WasmCodeError("'\(path.lastPathComponent)' cannot be read")
            }
            var bytes = [UInt8](data)
            if path.pathExtension == "wat" {
                do {
                    bytes = try wat2wasm(String(decoding: bytes, as: UTF8.self))
                } catch {
                    throw WasmCodeError("'\(path.lastPathComponent)' is not valid WebAssembly text: \(error)")
                }
            }
            let module: Module
            do {
                module = try parseWasm(bytes: bytes)
            } catch {
                throw WasmCodeError("'\(path.lastPathComponent)' is not a valid WebAssembly module: \(error)")
            }
            guard module.exports.contains(where: { $0.name == "_start" }) else {
                throw WasmCodeError("the module exports no '_start' function (WAGI modules are WASI commands)")
            }
            return module
        }
        modules.withLockedValue { $0[function.key] = module }
        return module
    }

    /// `wasm.module` when given, else the code's only `.wasm` or `.wat` file.
    static func modulePath(in directory: URL, named name: String?) throws -> URL {
        if let name {
            let path = directory.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path.path) else { throw WasmCodeError("the code has no '\(name)'") }
            return path
        }
        let candidates = (FileManager.default.enumerator(atPath: directory.path)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".wasm") || $0.hasSuffix(".wat") }.sorted()
        guard candidates.count == 1 else {
            throw WasmCodeError(
                candidates.isEmpty
                    ? "the code has no .wasm or .wat file"
                    : "the code has several modules (\(candidates.prefix(5).joined(separator: ", "))): name one in wasm.module")
        }
        return directory.appendingPathComponent(candidates[0])
    }

    // MARK: - Execution (on a pool thread)

    private static func execute(
        _ module: Module, request: RuntimeRequest, function: String, engine: Engine, maxMemoryBytes: Int, fuelPerSecond: Double
    ) -> Result<RuntimeResponse, RuntimeError> {
        do throws(RuntimeError) {
            let stdin = try MemoryFile("stdin", holding: request.request.body)
            let stdout = try MemoryFile("stdout")
            let stderr = try MemoryFile("stderr")
            let environment = WAGI.environment(request, function: function)
            let exitCode: UInt32
            do {
                let wasi = try WASIBridgeToHost(
                    args: [function], environment: environment, preopens: [], stdin: stdin.fd, stdout: stdout.fd, stderr: stderr.fd)
                exitCode = try wasi.runAndClose { wasi in
                    let store = Store(engine: engine)
                    store.resourceLimiter = MemoryLimit(maxBytes: maxMemoryBytes)
                    let seconds = max(0.001, Double((request.deadline - .now).components.attoseconds) / 1e18
                        + Double((request.deadline - .now).components.seconds))
                    store.fuel = Fuel(remaining: UInt64(min(Double(UInt64.max / 2), seconds * fuelPerSecond)))
                    var imports = Imports()
                    wasi.link(to: &imports, store: store)
                    let instance = try module.instantiate(store: store, imports: imports)
                    return try wasi.start(instance)
                }
            } catch {
                let logs = stderr.contents(limit: Run.maxRecordedBytes).bytes
                let text = "\(error)"
                if text.contains("out of fuel") { throw .timeout(logs: logs) }
                throw .functionFailed("the module trapped: \(text.prefix(300))", logs: logs)
            }
            let logs = stderr.contents(limit: Run.maxRecordedBytes).bytes
            guard exitCode == 0 else { throw .functionFailed("the module exited with status \(exitCode)", logs: logs) }
            let (output, truncated) = stdout.contents(limit: 10 * 1024 * 1024)
            guard !truncated else { throw .functionFailed("the module wrote more than 10 MiB", logs: logs) }
            do {
                let (status, headers, body) = try WAGI.response(output)
                return .success(RuntimeResponse(status: status, headers: headers, body: body, logs: logs))
            } catch {
                if case .functionFailed(let reason, _) = error { throw .functionFailed(reason, logs: logs) }
                throw error
            }
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Fuel

    /// How much fuel this machine burns per second, measured once, so a budget in fuel means a
    /// time. Deliberately low: the slowest of the runs, and of two loops, one doing work and one
    /// only branching (`loop br 0`), whose single unit of fuel per iteration costs the most time
    /// (the fuel charge is an instruction of its own). A module stuck in any loop so runs out of
    /// fuel near its deadline rather than seconds after it.
    private func measuredFuelRate() async -> Double {
        // Until the measurement is in, a rate low enough for a debug build: a budget that runs
        // out early is a 504 for a slow module, never a thread that spins past its deadline.
        fuelRate.withLockedValue { $0 } ?? 5_000_000
    }

    private static func calibrate(engine: Engine) -> Double {
        let text = """
            (module
              (func (export "count") (local i32)
                (loop (local.set 0 (i32.add (local.get 0) (i32.const 1))) (br 0)))
              (func (export "spin") (loop (br 0))))
            """
        let fallback = 5_000_000.0
        guard let bytes = try? wat2wasm(text), let module = try? parseWasm(bytes: bytes) else { return fallback }
        var rates: [Double] = []
        for name in ["count", "spin", "count", "spin"] {
            let store = Store(engine: engine)
            let budget: UInt64 = 2_000_000
            store.fuel = Fuel(remaining: budget)
            guard let instance = try? module.instantiate(store: store), let loop = instance.exports[function: name] else {
                return fallback
            }
            let started = ContinuousClock.now
            _ = try? loop([])  // runs until the budget is spent
            let elapsed = ContinuousClock.now - started
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            rates.append(Double(budget) / max(seconds, 1e-6))
        }
        return rates.min() ?? fallback
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? WasmCodeError { return error.message }
        let text = "\(error)"
        if text.contains("initialMemorySizeExceedsLimit") || text.contains("exceeds") {
            return "the module needs more initial memory than wasm.memoryPages allows: \(text.prefix(200))"
        }
        return "the module is not valid or cannot be instantiated (imports only WASI preview 1 may satisfy): \(text.prefix(300))"
    }
}

struct WasmCodeError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}

/// Linear memory may grow to `maxBytes` and no further; tables to a million entries.
final class MemoryLimit: ResourceLimiter {
    let maxBytes: Int
    init(maxBytes: Int) { self.maxBytes = maxBytes }
    func limitMemoryGrowth(to desired: Int) throws -> Bool { desired <= maxBytes }
    func limitTableGrowth(to desired: Int) throws -> Bool { desired <= 1_000_000 }
}
