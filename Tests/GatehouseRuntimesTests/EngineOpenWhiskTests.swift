import AsyncHTTPClient
import Foundation
import GatehouseModel
import NIOPosix
import Testing

@testable import GatehouseRuntimes

/// The OpenWhisk driver against the OpenWhisk API stand-in (`faas_engines.py openwhisk`), which
/// checks every request against OpenWhisk's Swagger description.
@Suite(.serialized, .enabled(if: EngineStandIn.available, "needs .venv/bin/python (scripts/test creates it) for the engine stand-ins"))
struct EngineOpenWhiskTests {
    static func function(_ apiHost: String, action: String, mode: Function.Mode = .http) -> DeployedFunction {
        var function = Function(name: "ow", http: "", timeoutMs: 5000)
        function.runtime = .openwhisk
        function.http = nil
        function.openwhisk = Function.OpenWhiskRuntime(apiHost: apiHost, action: action, authSecret: "ow-auth")
        function.mode = mode
        return DeployedFunction(org: "acme", function: function, codeRoot: nil)
    }

    static func request(
        _ method: String = "POST", path: String = "/items", query: String = "a=1", body: String = #"{"name":"x"}"#,
        contentType: String = "application/json", mode: Function.Mode = .http, auth: String, isAsync: Bool = false, timeoutMs: Int = 5000
    ) -> RuntimeRequest {
        let context = InvocationContext(runId: "run1", requestId: "req1", org: "acme", function: "ow", timeoutMs: timeoutMs, isAsync: isAsync)
        let invocation = InvocationRequest(
            method: method, path: path, query: query, headers: [(name: "content-type", value: contentType), (name: "x-gatehouse-identity", value: "tok")],
            body: Array(body.utf8), context: context)
        return RuntimeRequest(request: invocation, mode: mode, credentials: ["auth": auth])
    }

    static func json(_ bytes: [UInt8]) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any]) ?? [:]
    }

    func withStandIn(_ body: (EngineStandIn, OpenWhiskActionRuntime) async throws -> Void) async throws {
        let standIn = try EngineStandIn("openwhisk")
        let clients = EngineClients(group: MultiThreadedEventLoopGroup.singleton, configuration: .init())
        let driver = OpenWhiskActionRuntime(clients: clients, firstPollInterval: .milliseconds(50))
        do { try await body(standIn, driver) } catch {
            await clients.shutdown()
            _ = standIn.stop()
            throw error
        }
        await clients.shutdown()
        #expect(standIn.stop() == "", "requests off the OpenWhisk API description")
    }

    @Test func httpModePassesWebActionParametersAndReturnsJSON() async throws {
        try await withStandIn { standIn, driver in
            let response = try await driver.invoke(Self.request(auth: standIn.info["auth"]!), function: Self.function(standIn.url, action: "echo"))
            #expect(response.status == 200)
            let params = Self.json(response.body)["params"] as? [String: Any] ?? [:]
            #expect(params["name"] as? String == "x")
            #expect(params["__ow_method"] as? String == "post")
            #expect(params["__ow_path"] as? String == "/items")
            #expect(params["__ow_query"] as? String == "a=1")
            #expect((params["__ow_headers"] as? [String: String])?["x-gatehouse-identity"] == "tok")
            #expect(String(decoding: response.logs, as: UTF8.self) == "echo called\n")
        }
    }

    @Test func binaryBodyArrivesBase64() async throws {
        try await withStandIn { standIn, driver in
            let request = Self.request(body: "\u{01}\u{02}", contentType: "application/octet-stream", auth: standIn.info["auth"]!)
            let response = try await driver.invoke(request, function: Self.function(standIn.url, action: "pkg/echo"))
            let params = Self.json(response.body)["params"] as? [String: Any] ?? [:]
            #expect(params["__ow_body"] as? String == "AQI=")
        }
    }

    @Test func webActionResultBecomesTheHTTPResponse() async throws {
        try await withStandIn { standIn, driver in
            let response = try await driver.invoke(
                Self.request("GET", body: "", auth: standIn.info["auth"]!), function: Self.function(standIn.url, action: "web"))
            #expect(response.status == 201)
            #expect(response.headers.contains { $0.name == "x-action" && $0.value == "web" })
            #expect(String(decoding: response.body, as: UTF8.self) == "get /items a=1")
        }
    }

    @Test func envelopeModeSendsTheEnvelopeAndReturnsTheResult() async throws {
        try await withStandIn { standIn, driver in
            let envelope = #"{"context":{"runId":"run1"},"payload":{"n":2}}"#
            let response = try await driver.invoke(
                Self.request(path: "/", query: "", body: envelope, mode: .envelope, auth: standIn.info["auth"]!),
                function: Self.function(standIn.url, action: "echo", mode: .envelope))
            #expect(response.status == 200)
            let params = Self.json(response.body)["params"] as? [String: Any] ?? [:]
            #expect((params["payload"] as? [String: Any])?["n"] as? Int == 2)
            #expect(params["__ow_method"] == nil)
        }
    }

    @Test func actionErrorIsFunctionFailedWithLogs() async throws {
        try await withStandIn { standIn, driver in
            await #expect(throws: RuntimeError.functionFailed("the action failed: boom", logs: Array("about to fail\n".utf8))) {
                try await driver.invoke(Self.request(auth: standIn.info["auth"]!), function: Self.function(standIn.url, action: "fail"))
            }
        }
    }

    @Test func outlivingTheBlockingWindowPollsTheActivation() async throws {
        try await withStandIn { standIn, driver in
            let response = try await driver.invoke(Self.request(auth: standIn.info["auth"]!), function: Self.function(standIn.url, action: "slow"))
            #expect(response.status == 200)
            #expect((Self.json(response.body)["params"] as? [String: Any])?["name"] as? String == "x")
        }
    }

    @Test func asyncRunInvokesNonBlockingAndPolls() async throws {
        try await withStandIn { standIn, driver in
            let response = try await driver.invoke(
                Self.request(auth: standIn.info["auth"]!, isAsync: true), function: Self.function(standIn.url, action: "echo"))
            #expect(response.status == 200)
            #expect(String(decoding: response.logs, as: UTF8.self) == "echo called\n")
        }
    }

    @Test func slowActionPastTheDeadlineTimesOut() async throws {
        try await withStandIn { standIn, driver in
            await #expect(throws: RuntimeError.timeout(logs: [])) {
                try await driver.invoke(
                    Self.request(auth: standIn.info["auth"]!, timeoutMs: 500), function: Self.function(standIn.url, action: "slow"))
            }
        }
    }

    @Test func refusedCredentialsAreASystemError() async throws {
        try await withStandIn { standIn, driver in
            await #expect(throws: RuntimeError.system("OpenWhisk refused the credentials (401)")) {
                try await driver.invoke(Self.request(auth: "someone:wrong"), function: Self.function(standIn.url, action: "echo"))
            }
        }
    }

    @Test func unknownActionIsNotReady() async throws {
        try await withStandIn { standIn, driver in
            await #expect(throws: RuntimeError.notReady("OpenWhisk does not know the action (404)")) {
                try await driver.invoke(Self.request(auth: standIn.info["auth"]!), function: Self.function(standIn.url, action: "missing"))
            }
        }
    }
}
