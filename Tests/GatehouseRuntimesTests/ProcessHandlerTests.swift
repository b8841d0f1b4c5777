import Foundation
import GatehouseModel
import Testing

@testable import GatehouseRuntimes

/// The handler contract of `runtimes/README.md`, against real python3 and node workers.
@Suite struct ProcessHandlerTests {
    static let pythonHello = """
        def handle(request):
            if request.path == "/tuple":
                return 201, {"x-answer": "42"}, "created"
            if request.path == "/bytes":
                return b"\\x00\\x01"
            return {"method": request.method, "path": request.path, "query": request.query,
                    "trace": request.headers.get("x-trace"), "body": request.text}
        """

    static let nodeHello = """
        exports.handle = async (request) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (request.path === '/status') return { status: 202, headers: { 'x-answer': '42' }, body: 'accepted' };
          return { method: request.method, path: request.path, query: request.query,
                   trace: request.headers['x-trace'], body: request.text() };
        };
        exports.plain = (request) => 'plain ' + request.method;
        """

    @Test func pythonHTTPModeSeesTheRequestAndShapesItsAnswer() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(["main.py": Self.pythonHello], process: #""language":"python3","handler":"main.handle""#)
        #expect(await fixture.runtime.prepare(function).state == .ready)
        let echoed = try await fixture.invoke(
            function, method: "POST", path: "/orders/7", query: "x=1", body: "hi", headers: [("x-trace", "abc")])
        #expect(echoed.status == 200)
        #expect(echoed.header("content-type") == "application/json")
        let json = try echoed.json()
        #expect(json["method"] as? String == "POST")
        #expect(json["path"] as? String == "/orders/7")
        #expect(json["query"] as? String == "x=1")
        #expect(json["trace"] as? String == "abc")
        #expect(json["body"] as? String == "hi")
        let tuple = try await fixture.invoke(function, path: "/tuple")
        #expect(tuple.status == 201 && tuple.text == "created" && tuple.header("x-answer") == "42")
        let bytes = try await fixture.invoke(function, path: "/bytes")
        #expect(bytes.body == [0, 1] && bytes.header("content-type") == "application/octet-stream")
        await fixture.close()
    }

    @Test func nodeHTTPModeWithAsyncAndSyncHandlers() async throws {
        let fixture = try ProcessFixture()
        let asyncHandler = try fixture.deploy(["main.js": Self.nodeHello], process: #""language":"node","handler":"main.handle""#)
        let syncHandler = try fixture.deploy(["main.js": Self.nodeHello], process: #""language":"node","handler":"main.plain""#)
        #expect(await fixture.runtime.prepare(asyncHandler).state == .ready)
        let echoed = try await fixture.invoke(
            asyncHandler, method: "PUT", path: "/a", query: "q=2", body: "payload", headers: [("x-trace", "t1")])
        let json = try echoed.json()
        #expect(echoed.status == 200)
        #expect(json["method"] as? String == "PUT" && json["path"] as? String == "/a" && json["query"] as? String == "q=2")
        #expect(json["trace"] as? String == "t1" && json["body"] as? String == "payload")
        let status = try await fixture.invoke(asyncHandler, path: "/status")
        #expect(status.status == 202 && status.text == "accepted" && status.header("x-answer") == "42")
        let plain = try await fixture.invoke(syncHandler, method: "DELETE")
        #expect(plain.status == 200 && plain.text == "plain DELETE")
        #expect(plain.header("content-type")?.hasPrefix("text/plain") == true)
        await fixture.close()
    }

    @Test func envelopeModeInBothLanguagesReturnsTheValueAsJSON() async throws {
        let fixture = try ProcessFixture()
        let python = try fixture.deploy(
            ["main.py": "def handle(context, payload):\n    return {'payload': payload, 'function': context['function'], 'path': context['http']['path']}\n"],
            process: #""language":"python3","handler":"main.handle""#, mode: "envelope")
        let node = try fixture.deploy(
            ["main.js": "exports.handle = async (context, payload) => [payload, context.org];\n"],
            process: #""language":"node","handler":"main.handle""#, mode: "envelope")
        let fromPython = try await fixture.invoke(python, method: "POST", path: "/p", body: "hello")
        #expect(fromPython.status == 200 && fromPython.header("content-type") == "application/json")
        let json = try fromPython.json()
        #expect(json["payload"] as? String == "hello" && json["function"] as? String == python.name && json["path"] as? String == "/p")
        let fromNode = try await fixture.invoke(node, method: "POST", body: "hey")
        #expect(fromNode.status == 200 && fromNode.text == #"["hey","acme"]"#)
        await fixture.close()
    }

    @Test func execRunsAnyExecutableSpeakingTheProtocol() async throws {
        let fixture = try ProcessFixture()
        let server = """
            #!/usr/bin/env node
            require('http').createServer((req, res) => {
              res.writeHead(200, { 'content-type': 'text/plain' });
              res.end('exec ' + req.method + ' ' + req.url);
            }).listen(process.env.GATEHOUSE_SOCKET);
            """
        let function = try fixture.deploy(
            ["bin/server": server], process: #""language":"exec","memoryMB":2048,"handler":"bin/server""#, executable: ["bin/server"])
        #expect(await fixture.runtime.prepare(function).state == .ready)
        let response = try await fixture.invoke(function, method: "POST", path: "/x", query: "y=1")
        #expect(response.status == 200 && response.text == "exec POST /x?y=1")
        let notExecutable = try fixture.deploy(["bin/server": server], process: #""language":"exec","handler":"bin/server""#)
        let status = await fixture.runtime.prepare(notExecutable)
        #expect(status.state == .error && status.reason?.contains("bin/server") == true)
        await fixture.close()
    }

    @Test(arguments: [
        ("python3", "main.py", "def handle(request):\n    print('about to fail')\n    raise ValueError('no such order')\n", "ValueError: no such order"),
        ("node", "main.js", "exports.handle = async () => { console.log('about to fail'); throw new TypeError('no such order'); };\n",
         "TypeError: no such order"),
    ])
    func aHandlerExceptionFailsTheInvocationWithItsLogs(language: String, file: String, code: String, message: String) async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy([file: code], process: #""language":"\#(language)","handler":"main.handle""#)
        do {
            _ = try await fixture.invoke(function)
            Issue.record("the invocation succeeded")
        } catch {
            guard case .functionFailed(let reported, _) = error else {
                Issue.record("expected functionFailed, got \(error)")
                await fixture.close()
                return
            }
            #expect(reported.contains(message))
            #expect(error.logText.contains("about to fail"))
            #expect(error.logText.contains("no such order"))  // the traceback / stack
        }
        // The worker survives its handler's exception.
        #expect(await fixture.runtime.workerCounts(functionKey: function.key).total == 1)
        await fixture.close()
    }

    @Test func prepareNamesAMissingHandlerFile() async throws {
        let fixture = try ProcessFixture()
        let python = try fixture.deploy(["other.py": "x = 1\n"], process: #""language":"python3","handler":"main.handle""#)
        let status = await fixture.runtime.prepare(python)
        #expect(status.state == .error)
        #expect(status.reason?.contains("main.py") == true)
        let node = try fixture.deploy(["index.js": ""], process: #""language":"node","handler":"app.handle""#)
        #expect(await fixture.runtime.prepare(node).reason?.contains("app.js") == true)
        let ready = try fixture.deploy(["main.py": "def handle(r):\n    return 'ok'\n"], process: #""language":"python3","handler":"main.handle""#)
        let readyStatus = await fixture.runtime.prepare(ready)
        #expect(readyStatus.state == .ready)
        // Not isolated (bubblewrap missing or not working here): the status says so.
        #expect((readyStatus.warnings ?? []).isEmpty == fixture.runtime.isolated)
        await fixture.close()
    }
}
