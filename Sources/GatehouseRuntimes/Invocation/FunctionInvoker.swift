import Foundation
import GatehouseModel
import JSONSchema
import Logging
import NIOConcurrencyHelpers

/// The pipeline every invocation that Gatehouse sees whole goes through, whatever the runtime:
///
///     readiness → concurrency gate → schema.in → secrets → envelope → driver (until the
///     deadline) → schema.out
///
/// Streaming HTTP upstreams in `http` mode skip it (the edge proxies them); everything else,
/// and every asynchronous run, comes here, from the edge or from the runs service.
public final class FunctionInvoker: Sendable {
    private let runtimes: FunctionRuntimes
    private let secrets: any SecretSource
    private let logger: Logger
    /// One gate per function definition with a `maxConcurrency`.
    private let gates = NIOLockedValueBox([String: ConcurrencyGate]())

    public init(runtimes: FunctionRuntimes, secrets: any SecretSource, logger: Logger) {
        self.runtimes = runtimes
        self.secrets = secrets
        self.logger = logger
    }

    /// Runs one invocation. Never throws: every failure is an outcome carrying a problem and
    /// the run's error type.
    public func invoke(_ request: InvocationRequest, function deployed: DeployedFunction) async -> InvocationOutcome {
        let startedAt = Date()
        let function = deployed.function
        let requestId = request.context.requestId
        func refuse(
            _ problem: Problem, _ type: Run.ErrorType, logs: [UInt8] = [], headers: [(String, String)] = [],
            scrubber: SecretScrubber = .none
        ) -> InvocationOutcome {
            InvocationOutcome(
                problem: problem, errorType: type, requestId: requestId, logs: logs, extraHeaders: headers, startedAt: startedAt,
                scrubber: scrubber)
        }
        if let reason = function.notReadyReason {
            return refuse(.functionNotReady("function '\(function.name)' is not ready: \(reason)"), .systemError)
        }
        guard let driver = runtimes.driver(for: function.runtime) else {
            return refuse(
                .functionNotReady("runtime '\(function.runtime.rawValue)' is not available on this Gatehouse"), .systemError)
        }

        // Input first: a bad request costs no slot and no secret read.
        var payload: JSONValue?
        if let schema = deployed.inputSchema {
            switch Self.checkInput(request.body, against: schema) {
            case .success(let value): payload = value
            case .failure(let problem): return refuse(problem, .inputError)
            }
        } else if function.effectiveMode == .envelope, Self.isJSON(request) {
            payload = try? JSONValue.parse(Data(request.body))
        }

        let gate = self.gate(for: deployed)
        if let gate {
            do {
                try await gate.acquire(deadline: request.context.deadline)
            } catch .queueFull {
                return refuse(
                    .functionBusy(
                        "function '\(function.name)' is running \(gate.limit) invocations and \(gate.queueLimit) more are waiting; retry later"
                    ), .systemError, headers: [("retry-after", "1")])
            } catch {
                return refuse(
                    .functionTimeout("function '\(function.name)' found no free slot within \(function.effectiveTimeoutMs) ms"),
                    .timeout)
            }
        }
        defer { gate?.release() }

        let granted: [String: [String: String]]
        let credentials: [String: String]
        do {
            granted = try await secrets.values(org: deployed.org, names: function.secretNames)
            if let name = function.credentialSecret {
                credentials = try await secrets.values(org: deployed.org, names: [name])[name] ?? [:]
            } else {
                credentials = [:]
            }
        } catch {
            logger.warning(
                "function secrets unavailable", metadata: ["org": "\(deployed.org)", "function": "\(function.name)", "error": "\(error)"])
            return refuse(.functionNotReady("function '\(function.name)' cannot run: \(error)"), .systemError)
        }
        let scrubber = SecretScrubber(granted, credentials: credentials)
        let env = function.env ?? [:]
        let mode = function.effectiveMode
        let shaped = mode == .envelope ? Envelope.request(wrapping: request, payload: payload, secrets: granted, env: env) : request
        let runtimeRequest = RuntimeRequest(request: shaped, mode: mode, secrets: granted, env: env, credentials: credentials)

        let response: RuntimeResponse
        switch await Self.run(driver, runtimeRequest, deployed) {
        case .success(let answer):
            response = answer
        case .failure(let error):
            return refuse(Self.problem(for: error, function: function), Self.errorType(of: error), logs: Self.logs(of: error),
                headers: Self.headers(for: error), scrubber: scrubber)
        }

        var outcome = InvocationOutcome(response: response, startedAt: startedAt, scrubber: scrubber)
        if mode == .envelope, !outcome.headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            outcome.headers.append((name: "content-type", value: "application/json"))
        }
        if let schema = deployed.outputSchema, (200..<300).contains(response.status),
            let problem = Self.checkOutput(response.body, against: schema)
        {
            return refuse(problem, .functionError, logs: response.logs, scrubber: scrubber)
        }
        return outcome
    }

    public func prepare(_ function: DeployedFunction) async -> Function.Status {
        guard let driver = runtimes.driver(for: function.function.runtime) else {
            return Function.Status(
                state: .error, reason: "runtime '\(function.function.runtime.rawValue)' is not available on this Gatehouse",
                updatedAt: Date())
        }
        var status = await driver.prepare(function)
        status.updatedAt = status.updatedAt ?? Date()
        return status
    }

    public func retain(only keys: Set<String>) async {
        gates.withLockedValue { gates in gates = gates.filter { keys.contains($0.key) } }
        for driver in runtimes.distinctDrivers { await driver.retain(only: keys) }
    }

    public func shutdown() async {
        for driver in runtimes.distinctDrivers { await driver.shutdown() }
    }

    // MARK: - Steps

    private func gate(for deployed: DeployedFunction) -> ConcurrencyGate? {
        guard let limit = deployed.function.maxConcurrency else { return nil }
        let queue = deployed.function.maxQueue ?? limit
        return gates.withLockedValue { gates in
            if let gate = gates[deployed.key] { return gate }
            let gate = ConcurrencyGate(limit: limit, queueLimit: queue)
            gates[deployed.key] = gate
            return gate
        }
    }

    /// The driver, raced against the deadline: a driver that cannot stop its work in time
    /// still cannot hold the caller past it (its task is cancelled and left to finish alone).
    private static func run(
        _ driver: any FunctionRuntime, _ request: RuntimeRequest, _ function: DeployedFunction
    ) async -> Result<RuntimeResponse, RuntimeError> {
        let deadline = request.deadline
        let decided = NIOLockedValueBox(false)
        return await withCheckedContinuation { continuation in
            @Sendable func finish(_ result: Result<RuntimeResponse, RuntimeError>) -> Bool {
                let first = decided.withLockedValue { done in
                    defer { done = true }
                    return !done
                }
                if first { continuation.resume(returning: result) }
                return first
            }
            // A little grace so a driver that stops its own work at the deadline reports it
            // (with the logs it has) before this gives up on it.
            let timer = Task {
                try? await Task.sleep(until: deadline + .milliseconds(250), clock: .continuous)
                return !Task.isCancelled
            }
            let work = Task {
                do throws(RuntimeError) {
                    _ = finish(.success(try await driver.invoke(request, function: function)))
                } catch {
                    _ = finish(.failure(error))
                }
                timer.cancel()
            }
            Task {
                if await timer.value, finish(.failure(.timeout(logs: []))) { work.cancel() }
            }
        }
    }

    static func isJSON(_ request: InvocationRequest) -> Bool {
        guard let type = request.header("content-type")?.lowercased() else { return false }
        let media = type.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        return media == "application/json" || media.hasSuffix("+json")
    }

    static func checkInput(_ body: [UInt8], against schema: JSONSchema) -> Result<JSONValue, Problem> {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(body))
        } catch {
            return .failure(.invalidInput("the request body must be JSON for this function's input schema: \(error)"))
        }
        let errors = schema.validate(value)
        guard errors.isEmpty else {
            return .failure(
                .invalidInput(
                    "the request body does not match the function's input schema (\(errors.count) error\(errors.count == 1 ? "" : "s"))",
                    errors: fieldErrors(errors)))
        }
        return .success(value)
    }

    static func checkOutput(_ body: [UInt8], against schema: JSONSchema) -> Problem? {
        let value: JSONValue
        do {
            value = try JSONValue.parse(Data(body))
        } catch {
            return .invalidOutput("the function's response is not JSON, as its output schema requires: \(error)")
        }
        let errors = schema.validate(value)
        guard errors.isEmpty else {
            return .invalidOutput(
                "the function's response does not match its output schema (\(errors.count) error\(errors.count == 1 ? "" : "s"))",
                errors: fieldErrors(errors))
        }
        return nil
    }

    /// At most 64 errors, each with its JSON pointer into the instance.
    private static func fieldErrors(_ errors: [ValidationError]) -> [Problem.FieldError] {
        errors.prefix(64).map { Problem.FieldError(pointer: $0.instanceLocation, message: $0.message) }
    }

    static func problem(for error: RuntimeError, function: Function) -> Problem {
        switch error {
        case .notReady(let reason): .functionNotReady("function '\(function.name)' is not ready: \(reason)")
        case .overloaded(let reason): .functionBusy("function '\(function.name)' is busy: \(reason)")
        case .timeout: .functionTimeout("function '\(function.name)' did not answer within \(function.effectiveTimeoutMs) ms")
        case .functionFailed(let reason, _): .functionFailed("function '\(function.name)' failed: \(reason)")
        case .system(let reason): .badGateway("function '\(function.name)' could not be run: \(reason)")
        }
    }

    static func errorType(of error: RuntimeError) -> Run.ErrorType {
        switch error {
        case .timeout: .timeout
        case .functionFailed: .functionError
        case .notReady, .overloaded, .system: .systemError
        }
    }

    static func logs(of error: RuntimeError) -> [UInt8] {
        switch error {
        case .timeout(let logs), .functionFailed(_, let logs): logs
        default: []
        }
    }

    static func headers(for error: RuntimeError) -> [(String, String)] {
        if case .overloaded = error { return [("retry-after", "1")] }
        return []
    }
}

extension Function {
    /// The secret holding the engine's own credentials, which the driver uses and the function
    /// never sees.
    var credentialSecret: String? {
        switch runtime {
        case .openfaas: openfaas?.basicAuthSecret
        case .openwhisk: openwhisk?.authSecret
        default: nil
        }
    }
}
