import Foundation
import GatehouseModel

/// A driver that runs functions of one or more `Function.Runtime`s: the seam between the
/// invocation pipeline (`FunctionInvoker`: limits, schemas, envelope, secrets, run records) and
/// where code actually runs (worker processes, a wasm instance, a remote engine).
public protocol FunctionRuntime: Sendable {
    /// Checks and prepares a function's code once, after it was uploaded and unpacked (find the
    /// handler, compile the module). Runtimes without code answer `.ready`.
    func prepare(_ function: DeployedFunction) async -> Function.Status

    /// Runs one invocation. The driver honours `request.deadline` itself where it can stop the
    /// work (kill a worker, interrupt a module); the invoker also stops waiting at the deadline.
    func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse

    /// Drops what is kept for functions that are gone or were replaced (idle workers, compiled
    /// modules): `live` holds the `DeployedFunction.key`s of the current snapshot.
    func retain(only live: Set<String>) async

    /// Stops everything (workers, timers) at shutdown.
    func shutdown() async
}

extension FunctionRuntime {
    public func prepare(_ function: DeployedFunction) async -> Function.Status { Function.Status(state: .ready) }
    public func retain(only live: Set<String>) async {}
    public func shutdown() async {}
}

/// What a driver receives: the request as the function must see it (in envelope mode already
/// turned into `POST /` with the envelope as JSON body), plus what the function was granted.
public struct RuntimeRequest: Sendable {
    public var request: InvocationRequest
    public var mode: Function.Mode
    /// The function's secrets, by secret name then key. Drivers hand them over as the runtime
    /// does (files for workers, WASI environment for wasm, the envelope's context) and must
    /// never log them.
    public var secrets: [String: [String: String]]
    /// The function's `env`.
    public var env: [String: String]
    /// The values of the engine's own credential secret (`openfaas.basicAuthSecret`,
    /// `openwhisk.authSecret`), for the driver alone: never passed to the function.
    public var credentials: [String: String]
    public var deadline: ContinuousClock.Instant { request.context.deadline }

    public init(
        request: InvocationRequest, mode: Function.Mode, secrets: [String: [String: String]] = [:], env: [String: String] = [:],
        credentials: [String: String] = [:]
    ) {
        self.request = request
        self.mode = mode
        self.secrets = secrets
        self.env = env
        self.credentials = credentials
    }
}

/// A function's answer. In envelope mode `body` is the JSON of the function's return value.
public struct RuntimeResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// What the function wrote to stdout/stderr during this invocation (drivers bound it to
    /// `Run.maxRecordedBytes`).
    public var logs: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], logs: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
        self.logs = logs
    }
}

/// Why a driver could not produce a response. Each maps to one `Run.ErrorType` and one problem.
public enum RuntimeError: Error, Sendable, Equatable {
    /// The function cannot run now (no code, build failed, engine unreachable at start): 503.
    case notReady(String)
    /// No capacity left (every instance busy and the wait bounded): 429 / 503 with Retry-After.
    case overloaded(String)
    /// The deadline passed; the work was stopped where the runtime allows it: 504.
    case timeout(logs: [UInt8])
    /// The function itself failed (raised, crashed, exited, trapped, answered garbage): 502.
    case functionFailed(String, logs: [UInt8])
    /// Gatehouse or the engine failed (spawn failed, engine refused the credentials): 502/500.
    case system(String)
}
