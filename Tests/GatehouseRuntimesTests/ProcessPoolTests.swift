import Foundation
import GatehouseModel
import Testing

@testable import GatehouseRuntimes

/// Pools of real python3 workers: from zero, up to `maxInstances` and no further, waiting when
/// all are busy, shrinking when idle, replacing crashed workers, stopped when the function goes.
@Suite struct ProcessPoolTests {
    /// Each worker names itself with a random id at import, so answers tell workers apart (pids
    /// do not: under bubblewrap every worker is pid 2 in its own namespace).
    static let identified = """
        import os, time, uuid
        WORKER = uuid.uuid4().hex

        def handle(request):
            if request.path == "/crash":
                print("going down", flush=True)
                os._exit(3)
            time.sleep(float(request.query or "0"))
            return WORKER
        """

    @Test func scalesFromZeroToMaxInstancesAndNoFurther() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(
            ["main.py": Self.identified], process: #""language":"python3","handler":"main.handle","maxInstances":2"#)
        #expect(await fixture.runtime.workerCounts(functionKey: function.key).total == 0)
        let workers = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<5 {
                group.addTask { try await fixture.invoke(function, query: "0.4", timeoutMs: 20_000).text }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(workers.count == 5)
        #expect(Set(workers).count == 2)
        let counts = await fixture.runtime.workerCounts(functionKey: function.key)
        #expect(counts.total == 2 && counts.idle == 2)
        await fixture.close()
    }

    @Test func requestsWaitForABusyWorkerUntilTheirDeadline() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(
            ["main.py": Self.identified], process: #""language":"python3","handler":"main.handle","maxInstances":1"#)
        let warm = try await fixture.invoke(function).text
        let busy = Task { try await fixture.invoke(function, query: "2", timeoutMs: 20_000).text }
        try await Task.sleep(for: .milliseconds(300))
        let patient = Task { try await fixture.invoke(function, timeoutMs: 20_000).text }
        // This one's deadline passes while the only worker is busy: it gives up, no new worker.
        do {
            _ = try await fixture.invoke(function, timeoutMs: 500)
            Issue.record("a request was served while the only worker was busy")
        } catch {
            if case .timeout = error {} else { Issue.record("expected timeout, got \(error)") }
        }
        #expect(await fixture.runtime.workerCounts(functionKey: function.key).total == 1)
        #expect(try await busy.value == warm)
        #expect(try await patient.value == warm)  // it waited for the same worker
        await fixture.close()
    }

    @Test func idleWorkersStopAndThePoolStartsAgainFromZero() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(
            ["main.py": Self.identified], process: #""language":"python3","handler":"main.handle","idleSeconds":1"#)
        let first = try await fixture.invoke(function).text
        #expect(await fixture.runtime.workerCounts(functionKey: function.key).total == 1)
        #expect(!ProcessFixture.processes(of: function).isEmpty)
        let shrunk = await ProcessFixture.eventually(within: 5) {
            await fixture.runtime.workerCounts(functionKey: function.key).total == 0
        }
        #expect(shrunk)
        #expect(await ProcessFixture.eventually(within: 3) { ProcessFixture.processes(of: function).isEmpty })
        // The private directory (socket, secrets, temp files) went with it.
        let leftovers = await ProcessFixture.eventually(within: 3) {
            let dirs = (try? FileManager.default.subpathsOfDirectory(atPath: fixture.workRoot.path)) ?? []
            return !dirs.contains { $0.hasSuffix("/w1") }
        }
        #expect(leftovers)
        let second = try await fixture.invoke(function).text
        #expect(second != first)
        await fixture.close()
    }

    @Test func aCrashedWorkerIsReplaced() async throws {
        let fixture = try ProcessFixture()
        let function = try fixture.deploy(
            ["main.py": Self.identified], process: #""language":"python3","handler":"main.handle","maxInstances":1"#)
        let before = try await fixture.invoke(function).text
        do {
            _ = try await fixture.invoke(function, path: "/crash")
            Issue.record("the crash answered")
        } catch {
            if case .functionFailed = error {
                #expect(error.logText.contains("going down"))
            } else {
                Issue.record("expected functionFailed, got \(error)")
            }
        }
        let after = try await fixture.invoke(function).text
        #expect(after != before)
        #expect(await fixture.runtime.workerCounts(functionKey: function.key).total == 1)
        await fixture.close()
    }

    @Test func retainStopsTheWorkersOfFunctionsThatAreGone() async throws {
        let fixture = try ProcessFixture()
        let kept = try fixture.deploy(["main.py": Self.identified], process: #""language":"python3","handler":"main.handle""#)
        let gone = try fixture.deploy(["main.py": Self.identified], process: #""language":"python3","handler":"main.handle""#)
        let keptWorker = try await fixture.invoke(kept).text
        _ = try await fixture.invoke(gone)
        #expect(!ProcessFixture.processes(of: gone).isEmpty)
        await fixture.runtime.retain(only: [kept.key])
        #expect(await fixture.runtime.workerCounts(functionKey: gone.key).total == 0)
        #expect(await ProcessFixture.eventually(within: 3) { ProcessFixture.processes(of: gone).isEmpty })
        #expect(try await fixture.invoke(kept).text == keptWorker)
        await fixture.runtime.shutdown()
        #expect(await ProcessFixture.eventually(within: 3) { ProcessFixture.processes(of: kept).isEmpty })
        #expect(!FileManager.default.fileExists(atPath: fixture.workRoot.path))
        await fixture.close()
    }

    /// RLIMIT_CPU counts a worker's whole life: a worker serving many requests would reach it and
    /// die in the middle of one. The pool replaces a worker that has used half of it instead.
    @Test func aWorkerNearItsCPULimitIsReplacedBeforeTheLimitKillsIt() async throws {
        let fixture = try ProcessFixture()
        let burner = """
            import time, uuid
            WORKER = uuid.uuid4().hex

            def handle(request):
                started = time.process_time()
                while time.process_time() - started < 0.6:
                    pass
                return WORKER
            """
        let function = try fixture.deploy(
            ["main.py": burner], process: #""language":"python3","handler":"main.handle","maxInstances":1,"cpuSeconds":2"#)
        // 5 x 0.6 s of CPU on one worker would pass its 2 s limit in the 4th request.
        var workers: [String] = []
        for _ in 0..<5 {
            workers.append(try await fixture.invoke(function, timeoutMs: 20_000).text)
            try await Task.sleep(for: .milliseconds(300))
        }
        #expect(workers.count == 5)
        #expect(Set(workers).count >= 2, "one worker served every request: \(workers)")
        await fixture.close()
    }

}
