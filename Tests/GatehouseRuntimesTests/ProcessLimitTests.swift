import Foundation
import GatehouseModel
import Testing

@testable import GatehouseRuntimes

/// What a worker may not do or see: run past its deadline, allocate past its memory, open too
/// many files, read Gatehouse's environment; what it gets: its secrets as files, its own logs.
@Suite struct ProcessLimitTests {
    @Test func aTimedOutWorkerIsKilledAndItsCPUFreed() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(
            ["main.py": "def handle(request):\n    print('spinning', flush=True)\n    while True:\n        pass\n"],
            process: #""language":"python3","handler":"main.handle""#)
        let spinning = Task { try await fixture.invoke(function, timeoutMs: 1_500) }
        // While it spins, its process exists (so the check below can see it go).
        #expect(await ProcessFixture.eventually(within: 1.4) { !ProcessFixture.processes(of: function).isEmpty })
        do {
            _ = try await spinning.value
            Issue.record("an infinite loop answered")
        } catch let error as RuntimeError {
            if case .timeout = error {
                #expect(error.logText.contains("spinning"))
            } else {
                Issue.record("expected timeout, got \(error)")
            }
        }
        #expect(await ProcessFixture.eventually(within: 3) { ProcessFixture.processes(of: function).isEmpty })
        #expect(await fixture.runtime.workerCounts(functionKey: function.key).total == 0)
        await fixture.close()
    }

    @Test func allocatingBeyondMemoryMBFailsTheInvocationNotGatehouse() async throws {
        let fixture = try ProcessFixture()
        let code = """
            def handle(request):
                if request.path == "/big":
                    data = bytearray(512 * 1024 * 1024)
                    return str(len(data))
                return "small"
            """
        let function = try fixture.deploy(["main.py": code], process: #""language":"python3","handler":"main.handle","memoryMB":96"#)
        do {
            _ = try await fixture.invoke(function, path: "/big")
            Issue.record("512 MiB were allocated under a 96 MiB limit")
        } catch {
            if case .functionFailed(let message, _) = error {
                #expect(message.contains("MemoryError"))
            } else {
                Issue.record("expected functionFailed, got \(error)")
            }
        }
        #expect(try await fixture.invoke(function).text == "small")
        await fixture.close()
    }

    @Test func openFilesAreLimited() async throws {
        let fixture = try ProcessFixture()
        let code = """
            import os
            def handle(request):
                opened = []
                try:
                    while len(opened) < 10000:
                        opened.append(os.open("/dev/null", os.O_RDONLY))
                except OSError:
                    pass
                for fd in opened:
                    os.close(fd)
                return str(len(opened))
            """
        let function = try fixture.deploy(["main.py": code], process: #""language":"python3","handler":"main.handle","openFiles":40"#)
        let opened = try #require(Int(try await fixture.invoke(function).text))
        #expect(opened > 0 && opened < 40)
        await fixture.close()
    }

    @Test func theEnvironmentHoldsOnlyWhatTheFunctionDeclared() async throws {
        setenv("GATEHOUSE_TEST_PARENT_ONLY", "must-not-leak", 1)
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(
            ["main.py": "import os\ndef handle(request):\n    return dict(os.environ)\n"],
            process: #""language":"python3","handler":"main.handle""#)
        let environment = try await fixture.invoke(function, env: ["GREETING": "hello"]).json()
        #expect(environment["GATEHOUSE_TEST_PARENT_ONLY"] == nil)
        #expect(environment["GREETING"] as? String == "hello")
        #expect(environment["GATEHOUSE_FUNCTION"] as? String == function.name)
        #expect(environment["GATEHOUSE_ORG"] as? String == "acme")
        #expect(environment["GATEHOUSE_SOCKET"] != nil && environment["GATEHOUSE_SECRETS_DIR"] != nil)
        #expect(environment["PATH"] as? String == "/usr/local/bin:/usr/bin:/bin")
        let home = try #require(environment["HOME"] as? String)
        #expect(environment["TMPDIR"] as? String == home)
        // Nothing else of Gatehouse's own environment: only the names the launch sets.
        let allowed: Set<String> = [
            "PATH", "HOME", "TMPDIR", "LANG", "GREETING", "GATEHOUSE_SOCKET", "GATEHOUSE_SECRETS_DIR", "GATEHOUSE_FUNCTION",
            "GATEHOUSE_ORG", "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PWD",
        ]
        #expect(Set(environment.keys).subtracting(allowed).isEmpty, "unexpected: \(Set(environment.keys).subtracting(allowed))")
        await fixture.close()
    }

    static let secretsAndLogs = """
        import os, sys, time

        def handle(request):
            directory = os.environ["GATEHOUSE_SECRETS_DIR"]
            if request.path == "/secret":
                path = os.path.join(directory, "db", "password")
                with open(path) as f:
                    value = f.read()
                return {"value": value, "mode": oct(os.stat(path).st_mode & 0o777),
                        "dirMode": oct(os.stat(os.path.join(directory, "db")).st_mode & 0o777)}
            marker = request.query
            for i in range(5):
                print(marker, "out", i)
                print(marker, "err", i, file=sys.stderr)
                time.sleep(0.05)
            print(marker, "last", end="")
            return marker
        """

    @Test func secretsAreFilesAndNewValuesReachTheFunction() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(["main.py": Self.secretsAndLogs], process: #""language":"python3","handler":"main.handle""#)
        let first = try await fixture.invoke(function, path: "/secret", secrets: ["db": ["password": "s3cret"]]).json()
        #expect(first["value"] as? String == "s3cret")
        #expect(first["mode"] as? String == "0o400")
        #expect(first["dirMode"] as? String == "0o500")
        // A worker started with one value never serves a request that carries another.
        let rotated = try await fixture.invoke(function, path: "/secret", secrets: ["db": ["password": "rotated"]]).json()
        #expect(rotated["value"] as? String == "rotated")
        await fixture.close()
    }

    @Test func logsOfConcurrentInvocationsDoNotMix() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(
            ["main.py": Self.secretsAndLogs], process: #""language":"python3","handler":"main.handle","maxInstances":2"#)
        for round in 0..<3 {
            let markers = ["alpha\(round)", "bravo\(round)"]
            let responses = try await withThrowingTaskGroup(of: RuntimeResponse.self) { group in
                for marker in markers { group.addTask { try await fixture.invoke(function, query: marker) } }
                return try await group.reduce(into: [RuntimeResponse]()) { $0.append($1) }
            }
            for response in responses {
                let own = response.text
                let other = markers.first { $0 != own }!
                let lines = response.logText.split(separator: "\n")
                #expect(lines.count == 11, "\(response.logText)")
                #expect(lines.allSatisfy { $0.hasPrefix(own + " ") }, "\(response.logText)")
                #expect(!response.logText.contains(other))
                // Output written just before the answer (no newline, no flush by the handler)
                // belongs to this invocation, not the next.
                #expect(response.logText.hasSuffix("\(own) last"))
            }
        }
        await fixture.close()
    }

    /// A Gatehouse killed with SIGKILL cannot stop its workers, so the kernel must: the worker
    /// itself reports its parent-death signal (PR_GET_PDEATHSIG), with and without bubblewrap
    /// (bwrap --die-with-parent; setpriv --pdeathsig KILL outside it).
    @Test(arguments: [true, false]) func aWorkerDiesWithTheGatehouseThatStartedIt(bubblewrap: Bool) async throws {
        let fixture = try ProcessFixture(bubblewrap: bubblewrap)
        let function = try fixture.deploy(
            [
                "main.py": """
                import ctypes

                def handle(request):
                    signal = ctypes.c_int()
                    ctypes.CDLL(None).prctl(2, ctypes.byref(signal))  # PR_GET_PDEATHSIG
                    return str(signal.value)
                """
            ], process: #""language":"python3","handler":"main.handle""#)
        #expect(try await fixture.invoke(function).text == "\(SIGKILL)")
        await fixture.close()
    }

}
