import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOPosix
import Testing

@testable import GatehouseRuntimes

/// The HTTP engine driver against the OpenFaaS gateway stand-in (`faas_engines.py openfaas`,
/// basic auth on, checked against the gateway's OpenAPI description), including async
/// invocations answered through the callback.
@Suite(.serialized, .enabled(if: EngineStandIn.available, "needs .venv/bin/python (scripts/test creates it) for the engine stand-ins"))
struct EngineHTTPTests {
    static func function(_ gateway: String, basicAuth: Bool = true, mode: Function.Mode = .http) -> DeployedFunction {
        var function = Function(name: "faas", http: "", timeoutMs: 5000)
        function.runtime = .openfaas
        function.http = nil
        function.openfaas = Function.OpenFaaSRuntime(gateway: gateway, function: "echo", namespace: "fn", basicAuthSecret: basicAuth ? "faas-auth" : nil)
        function.mode = mode
        return DeployedFunction(org: "acme", function: function, codeRoot: nil)
    }

    static func request(
        body: String = "hello", mode: Function.Mode = .http, credentials: [String: String], isAsync: Bool = false, timeoutMs: Int = 5000
    ) -> RuntimeRequest {
        let context = InvocationContext(
            runId: "run-\(UUID().uuidString.prefix(8))", requestId: "req1", org: "acme", function: "faas", timeoutMs: timeoutMs, isAsync: isAsync)
        let invocation = InvocationRequest(
            method: "POST", path: "/sub/path", query: "q=1", headers: [(name: "content-type", value: "text/plain")], body: Array(body.utf8),
            context: context)
        return RuntimeRequest(request: invocation, mode: mode, credentials: credentials)
    }

    static func json(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]) ?? [:]
    }

    func withStandIn(
        maxResponseBytes: Int = 10 << 20, _ body: (EngineStandIn, HTTPEngineRuntime, EngineCallbacks) async throws -> Void
    ) async throws {
        let standIn = try EngineStandIn("openfaas")
        let clients = EngineClients(group: MultiThreadedEventLoopGroup.singleton, configuration: .init())
        let callbacks = EngineCallbacks()
        let server = try await EngineCallbackServer(callbacks: callbacks)
        let driver = HTTPEngineRuntime(clients: clients, maxResponseBytes: maxResponseBytes, callbackBaseURL: { [url = server.url] in url + "/" }, callbacks: callbacks)
        var failure: (any Error)?
        do { try await body(standIn, driver, callbacks) } catch { failure = error }
        await clients.shutdown()
        try await server.close()
        let violations = standIn.stop()
        if let failure { throw failure }
        #expect(violations == "", "requests off the OpenFaaS gateway's OpenAPI description")
    }

    var credentials: [String: String] { ["username": "admin", "password": "s3cret"] }

    @Test func syncInvokeSendsBasicAuthPathAndQuery() async throws {
        try await withStandIn { standIn, driver, _ in
            let response = try await driver.invoke(Self.request(credentials: credentials), function: Self.function(standIn.url))
            #expect(response.status == 200)
            let answer = Self.json(response.body)
            #expect(answer["authorized"] as? Bool == true)
            #expect(answer["namespace"] as? String == "fn")
            #expect(answer["path"] as? String == "/sub/path")
            #expect(answer["query"] as? String == "q=1")
            #expect(answer["body"] as? String == "hello")
        }
    }

    @Test func refusedCredentialsStayTheGatewaysAnswer() async throws {
        try await withStandIn { standIn, driver, _ in
            let response = try await driver.invoke(
                Self.request(credentials: ["username": "admin", "password": "wrong"]), function: Self.function(standIn.url))
            #expect(response.status == 401)
        }
    }

    @Test func missingCredentialValuesAreASystemError() async throws {
        try await withStandIn { standIn, driver, _ in
            await #expect(throws: RuntimeError.system("the OpenFaaS basic auth secret needs the keys 'username' and 'password'")) {
                try await driver.invoke(Self.request(credentials: [:]), function: Self.function(standIn.url))
            }
        }
    }

    @Test func envelopeModeReturnsTheJSONAnswer() async throws {
        try await withStandIn { standIn, driver, _ in
            let response = try await driver.invoke(
                Self.request(body: #"{"context":{},"payload":1}"#, mode: .envelope, credentials: credentials),
                function: Self.function(standIn.url, mode: .envelope))
            #expect(response.status == 200)
            #expect(Self.json(response.body)["function"] as? String == "echo")
        }
    }

    @Test func answerAboveTheLimitFails() async throws {
        try await withStandIn(maxResponseBytes: 64) { standIn, driver, _ in
            await #expect(throws: RuntimeError.functionFailed("the OpenFaaS gateway answered more than 64 bytes", logs: [])) {
                try await driver.invoke(Self.request(credentials: credentials), function: Self.function(standIn.url))
            }
        }
    }

    @Test func asyncInvokeWaitsForTheCallback() async throws {
        try await withStandIn { standIn, driver, callbacks in
            let response = try await driver.invoke(
                Self.request(credentials: credentials, isAsync: true), function: Self.function(standIn.url))
            #expect(response.status == 200)
            let answer = Self.json(response.body)
            #expect(answer["body"] as? String == "hello")
            #expect(answer["authorized"] as? Bool == true)
            #expect(!response.headers.contains { $0.name.lowercased() == "x-call-id" })
            #expect(callbacks.waitingCount == 0)
        }
    }

    @Test func asyncInvokeTimesOutWithoutCallback() async throws {
        try await withStandIn { standIn, driver, callbacks in
            // The stand-in calls back after 200 ms; the run's deadline is earlier.
            await #expect(throws: RuntimeError.timeout(logs: [])) {
                try await driver.invoke(Self.request(credentials: credentials, isAsync: true, timeoutMs: 100), function: Self.function(standIn.url))
            }
            #expect(callbacks.waitingCount == 0)
        }
    }

    /// AsyncHTTPClient retries refused connections until the request's deadline, so an engine
    /// that is down shows as a timeout at the deadline (or a system error if the client gives up
    /// earlier), never as the function's answer.
    @Test func unreachableEngineFailsByTheDeadline() async throws {
        let clients = EngineClients(group: MultiThreadedEventLoopGroup.singleton, configuration: .init())
        let driver = HTTPEngineRuntime(clients: clients)
        var outcome: RuntimeError?
        do {
            _ = try await driver.invoke(Self.request(credentials: credentials, timeoutMs: 500), function: Self.function("http://127.0.0.1:1"))
        } catch {
            outcome = error
        }
        await clients.shutdown()
        switch outcome {
        case .system?, .timeout?: break
        default: Issue.record("expected .system or .timeout, got \(String(describing: outcome))")
        }
    }
}

@Suite struct EngineCallbacksTests {
    @Test func wrongTokenIsRefusedAndTheRightOneDelivered() async {
        let callbacks = EngineCallbacks()
        let ticket = callbacks.register(runId: "r1")
        #expect(ticket.token.count == 64)
        let result = EngineCallbacks.Result(status: 200, headers: [], body: Array("ok".utf8))
        #expect(!callbacks.deliver(runId: "r1", token: String(repeating: "0", count: 64), result: result))
        #expect(!callbacks.deliver(runId: "r2", token: ticket.token, result: result))
        // Delivered before anyone waits: the waiter still gets it.
        #expect(callbacks.deliver(runId: "r1", token: ticket.token, result: result))
        #expect(!callbacks.deliver(runId: "r1", token: ticket.token, result: result), "a second callback is refused")
        let got = await callbacks.wait(for: ticket, until: .now + .seconds(5))
        #expect(got?.body == Array("ok".utf8))
        #expect(callbacks.waitingCount == 0)
    }

    @Test func waitEndsAtTheDeadline() async {
        let callbacks = EngineCallbacks()
        let ticket = callbacks.register(runId: "r1")
        let got = await callbacks.wait(for: ticket, until: .now + .milliseconds(50))
        #expect(got == nil)
        #expect(!callbacks.deliver(runId: "r1", token: ticket.token, result: .init(status: 200, headers: [], body: [])))
    }

    @Test func deliveryWakesAWaiter() async {
        let callbacks = EngineCallbacks()
        let ticket = callbacks.register(runId: "r1")
        async let got = callbacks.wait(for: ticket, until: .now + .seconds(5))
        while !callbacks.deliver(runId: "r1", token: ticket.token, result: .init(status: 201, headers: [], body: [])) {
            try? await Task.sleep(for: .milliseconds(5))
        }
        #expect(await got?.status == 201)
    }
}
