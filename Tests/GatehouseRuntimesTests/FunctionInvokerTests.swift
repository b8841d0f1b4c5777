import Foundation
import GatehouseModel
import JSONSchema
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import GatehouseRuntimes

/// A driver whose behaviour each test sets: the invoker's pipeline is what is under test here
/// (the real drivers have their own suites against real processes and modules).
private final class ScriptedDriver: FunctionRuntime {
    let seen = NIOLockedValueBox([RuntimeRequest]())
    let answer: @Sendable (RuntimeRequest) async throws(RuntimeError) -> RuntimeResponse

    init(_ answer: @escaping @Sendable (RuntimeRequest) async throws(RuntimeError) -> RuntimeResponse) {
        self.answer = answer
    }

    func invoke(_ request: RuntimeRequest, function: DeployedFunction) async throws(RuntimeError) -> RuntimeResponse {
        seen.withLockedValue { $0.append(request) }
        return try await answer(request)
    }
}

private struct FixedSecrets: SecretSource {
    let secrets: [String: [String: String]]
    func values(org: String, names: [String]) async throws -> [String: [String: String]] {
        var result: [String: [String: String]] = [:]
        for name in names {
            guard let values = secrets[name] else { throw MissingSecret(name: name) }
            result[name] = values
        }
        return result
    }
}

@Suite struct FunctionInvokerTests {
    private func deployed(_ json: String) throws -> DeployedFunction {
        var function = try StrictJSON.decode(Function.self, from: Data(json.utf8))
        try function.validate()
        function.status = .init(state: .ready)
        return DeployedFunction(org: "acme", function: function, codeRoot: nil)
    }

    private func invoker(_ driver: ScriptedDriver, secrets: [String: [String: String]] = [:]) -> FunctionInvoker {
        var runtimes = FunctionRuntimes()
        runtimes.register(driver, for: .http, .process)
        return FunctionInvoker(runtimes: runtimes, secrets: FixedSecrets(secrets: secrets), logger: Logger(label: "test"))
    }

    private func request(body: String = "", contentType: String = "application/json", timeoutMs: Int = 2_000) -> InvocationRequest {
        InvocationRequest(
            method: "POST", path: "/orders", query: "x=1", headers: [("content-type", contentType), ("x-trace", "a")],
            body: Array(body.utf8),
            context: InvocationContext(
                runId: RunID.generate(), requestId: "req-1", org: "acme", function: "f", route: "r",
                caller: Caller(subject: "user:ada", kind: "user", groups: ["eng"]), timeoutMs: timeoutMs))
    }

    private static let echo = ScriptedDriver { request throws(RuntimeError) in
        RuntimeResponse(status: 200, headers: [("content-type", "application/json")], body: request.request.body)
    }

    @Test func inputThatFailsTheSchemaIsRefusedWithPointersBeforeTheFunctionRuns() async throws {
        let driver = ScriptedDriver { _ throws(RuntimeError) in RuntimeResponse(status: 200) }
        let function = try deployed(
            #"{"name":"f","runtime":"http","http":{"url":"http://x/"},"schema":{"in":{"type":"object","required":["qty"],"properties":{"qty":{"type":"integer","minimum":1}}}}}"#
        )
        let outcome = await invoker(driver).invoke(request(body: #"{"qty":0}"#), function: function)
        #expect(outcome.status == 400)
        #expect(outcome.errorType == .inputError)
        #expect(outcome.problem?.errors?.map(\.pointer) == ["/qty"])
        #expect(outcome.problem?.requestId == "req-1")
        let notJSON = await invoker(driver).invoke(request(body: "qty=1", contentType: "text/plain"), function: function)
        #expect(notJSON.status == 400 && notJSON.problem?.slug == "invalid-input")
        #expect(driver.seen.withLockedValue(\.count) == 0)
        let good = await invoker(driver).invoke(request(body: #"{"qty":2}"#), function: function)
        #expect(good.status == 200 && good.errorType == nil)
    }

    @Test func outputThatFailsTheSchemaIsAFunctionError() async throws {
        let driver = ScriptedDriver { _ throws(RuntimeError) in
            RuntimeResponse(status: 200, body: Array(#"{"total":"many"}"#.utf8), logs: Array("computed\n".utf8))
        }
        let function = try deployed(
            #"{"name":"f","runtime":"http","http":{"url":"http://x/"},"schema":{"out":{"type":"object","properties":{"total":{"type":"number"}}}}}"#
        )
        let outcome = await invoker(driver).invoke(request(body: "{}"), function: function)
        #expect(outcome.status == 502 && outcome.errorType == .functionError)
        #expect(outcome.problem?.errors?.first?.pointer == "/total")
        #expect(outcome.logs == Array("computed\n".utf8))
    }

    @Test func envelopeModeWrapsTheRequestWithContextSecretsAndCaller() async throws {
        let driver = ScriptedDriver { _ throws(RuntimeError) in RuntimeResponse(status: 200, body: Array("42".utf8)) }
        let function = try deployed(
            #"{"name":"f","runtime":"http","http":{"url":"http://x/"},"mode":"envelope","secrets":["db"],"env":{"STAGE":"prod"}}"#)
        let outcome = await invoker(driver, secrets: ["db": ["password": "hunter2-secret"]]).invoke(
            request(body: #"{"a":[1,2]}"#), function: function)
        #expect(outcome.status == 200)
        #expect(outcome.headers.contains { $0.name == "content-type" && $0.value == "application/json" })
        let first = driver.seen.withLockedValue { $0.first }
        let sent = try #require(first)
        #expect(sent.request.method == "POST" && sent.request.path == "/")
        #expect(sent.request.header("x-gatehouse-mode") == "envelope")
        let envelope = try JSONValue.parse(Data(sent.request.body))
        guard case .object(let top) = envelope, case .object(let context)? = top["context"] else {
            Issue.record("not an envelope: \(envelope)")
            return
        }
        #expect(top["payload"] == .object(["a": .array([1, 2])]))
        #expect(context["secrets"] == .object(["db": .object(["password": "hunter2-secret"])]))
        #expect(context["env"] == .object(["STAGE": "prod"]))
        guard case .object(let http)? = context["http"], case .object(let caller)? = context["caller"] else {
            Issue.record("no http or caller in \(context)")
            return
        }
        #expect(http["method"] == "POST" && http["path"] == "/orders" && http["query"] == "x=1")
        guard case .object(let headers)? = http["headers"] else { return }
        #expect(headers["x-trace"] == "a")
        #expect(caller["subject"] == "user:ada")
    }

    @Test func secretValuesNeverReachTheRunRecord() async throws {
        let driver = ScriptedDriver { request throws(RuntimeError) in
            let password = request.secrets["db"]?["password"] ?? ""
            throw .functionFailed("cannot connect with \(password)", logs: Array("using \(password)\n".utf8))
        }
        let function = try deployed(#"{"name":"f","runtime":"http","http":{"url":"http://x/"},"secrets":["db"]}"#)
        let outcome = await invoker(driver, secrets: ["db": ["password": "hunter2-secret"]]).invoke(request(), function: function)
        #expect(outcome.status == 502)
        let body = String(decoding: outcome.body, as: UTF8.self)
        #expect(!body.contains("hunter2-secret"))
        let run = outcome.completing(Run(id: RunID.generate(), org: "acme", function: "f", status: .running, async: false, createdAt: Date()))
        #expect(run.status == .failed && run.errorType == .functionError)
        #expect(run.logs == "using [redacted]\n")
        #expect(run.error?.contains("hunter2") == false)
    }

    @Test func aMissingSecretIsReportedByNameNotRun() async throws {
        let driver = Self.echo
        let function = try deployed(#"{"name":"f","runtime":"http","http":{"url":"http://x/"},"secrets":["nope"]}"#)
        let outcome = await invoker(driver).invoke(request(), function: function)
        #expect(outcome.status == 503 && outcome.problem?.detail?.contains("'nope'") == true)
        #expect(driver.seen.withLockedValue(\.count) == 0)
    }

    @Test func aHangingDriverIsCutOffAtTheDeadline() async throws {
        let driver = ScriptedDriver { _ throws(RuntimeError) in
            try? await Task.sleep(for: .seconds(30))
            return RuntimeResponse(status: 200)
        }
        let function = try deployed(#"{"name":"f","runtime":"http","http":{"url":"http://x/"},"timeoutMs":100}"#)
        let outcome = await invoker(driver).invoke(request(timeoutMs: 100), function: function)
        #expect(outcome.status == 504 && outcome.errorType == .timeout)
        #expect(outcome.finishedAt.timeIntervalSince(outcome.startedAt) < 10)
    }

    @Test func beyondConcurrencyAndQueueCallersAreRefusedWith429() async throws {
        let release = AsyncStream<Void>.makeStream()
        let driver = ScriptedDriver { _ throws(RuntimeError) in
            for await _ in release.stream { break }
            return RuntimeResponse(status: 200)
        }
        let function = try deployed(
            #"{"name":"f","runtime":"http","http":{"url":"http://x/"},"maxConcurrency":1,"maxQueue":1,"timeoutMs":5000}"#)
        let invoker = invoker(driver)
        async let first = invoker.invoke(request(timeoutMs: 5_000), function: function)
        async let second = invoker.invoke(request(timeoutMs: 5_000), function: function)
        // Wait until one runs and one waits, then a third has nowhere to go.
        while driver.seen.withLockedValue(\.count) < 1 { try await Task.sleep(for: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        let third = await invoker.invoke(request(timeoutMs: 5_000), function: function)
        #expect(third.status == 429 && third.problem?.slug == "function-busy")
        #expect(third.headers.contains { $0.name == "retry-after" })
        release.continuation.yield()
        release.continuation.yield()
        let (a, b) = await (first, second)
        #expect(a.status == 200 && b.status == 200)
        #expect(driver.seen.withLockedValue(\.count) == 2)
    }

    @Test func aFunctionWithoutCodeIsNotReadyAndSaysWhy() async throws {
        var function = try StrictJSON.decode(
            Function.self, from: Data(#"{"name":"f","runtime":"process","process":{"language":"python3","handler":"main.handle"}}"#.utf8))
        function.status = function.initialStatus
        let outcome = await invoker(Self.echo).invoke(request(), function: DeployedFunction(org: "acme", function: function, codeRoot: nil))
        #expect(outcome.status == 503)
        #expect(outcome.problem?.detail?.contains("no code uploaded") == true)
    }
}
