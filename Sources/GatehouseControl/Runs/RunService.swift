import Foundation
import GatehouseModel
import GatehouseRuntimes
import GatehouseStore
import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle

/// Keeps runs: records finished synchronous runs in batches (`RunRecorder`), and accepts,
/// persists and executes asynchronous ones (`AsyncRunQueue`).
///
/// An accepted run is written with its request before `accept` returns. On start, runs left
/// `queued` by a stop or a crash are executed, and runs left `running` are reported failed
/// (`SystemError`): they may have had effects, so running them again is not Gatehouse's call.
final class RunService: Service, RunRecorder, AsyncRunQueue {
    let store: any RunRecordStore & Store
    private let invoker: FunctionInvoker
    private let codeRoot: URL
    private let logger: Logger
    /// Asynchronous runs executing at once; the rest wait in the queue (durably).
    private let executors: Int
    /// Finished synchronous runs not yet written; bounded, so a flood costs records, not memory.
    private let pending = NIOLockedValueBox(Pending())
    /// The latest flush, which the next one waits for.
    private let flushes = NIOLockedValueBox<Task<Void, Never>?>(nil)
    private let queue: (stream: AsyncStream<String>, continuation: AsyncStream<String>.Continuation)

    static let maxPendingRecords = 10_000
    static let flushInterval: Duration = .milliseconds(250)
    static let keepPerOrg = 1_000
    static let keepFor: TimeInterval = 7 * 86_400

    private struct Pending {
        var runs: [Run] = []
        var dropped = 0
    }

    init(store: any RunRecordStore & Store, invoker: FunctionInvoker, codeRoot: URL, executors: Int = 16, logger: Logger) {
        self.store = store
        self.invoker = invoker
        self.codeRoot = codeRoot
        self.executors = executors
        self.logger = logger
        self.queue = AsyncStream.makeStream(of: String.self)
    }

    // MARK: - RunRecorder

    func record(_ run: Run) {
        pending.withLockedValue { pending in
            guard pending.runs.count < Self.maxPendingRecords else {
                pending.dropped += 1
                return
            }
            pending.runs.append(run)
        }
    }

    // MARK: - AsyncRunQueue

    func accept(_ request: InvocationRequest, function: DeployedFunction) async throws -> Run {
        let run = request.context.run(status: .queued, createdAt: Date())
        try await store.enqueueRun(run, request: try JSONEncoder().encode(StoredRequest(request)))
        queue.continuation.yield(run.id)
        return run
    }

    // MARK: - Service

    func run() async throws {
        try await recover()
        let queue = self.queue
        await withDiscardingTaskGroup { group in
            group.addTask { await self.flushPeriodically() }
            // A stop ends the queue: runs not started stay queued in the store for next time.
            group.addTask {
                try? await gracefulShutdown()
                queue.continuation.finish()
            }
            let slots = AsyncStream.makeStream(of: Void.self)
            for _ in 0..<executors { slots.continuation.yield() }
            var freeSlots = slots.stream.makeAsyncIterator()
            for await id in queue.stream {
                guard await freeSlots.next() != nil else { break }
                group.addTask {
                    await self.execute(id)
                    slots.continuation.yield()
                }
            }
        }
        await flush()
    }

    private func recover() async throws {
        for (var run, request) in try await store.unfinishedRuns() {
            if run.status == .running || request == nil {
                run.status = .failed
                run.errorType = .systemError
                run.error = "Gatehouse stopped while the run was running; it was not run again"
                run.finishedAt = Date()
                try await store.finishRun(run)
                logger.warning("run interrupted by a stop", metadata: ["run": "\(run.id)", "org": "\(run.org)"])
            } else {
                queue.continuation.yield(run.id)
            }
        }
    }

    private func execute(_ id: String) async {
        do {
            guard let (queued, request) = try await store.unfinishedRun(id: id), let request, queued.status == .queued else { return }
            var run = queued
            let (org, name) = (run.org, run.function)
            let function = try await store.read { try $0.resource(Function.self, org: org, name: name) }
            guard let function else {
                run.status = .failed
                run.errorType = .inputError
                run.error = "function '\(run.function)' no longer exists"
                run.finishedAt = Date()
                try await store.finishRun(run)
                return
            }
            let deployed = DeployedFunction(org: run.org, function: function, codeRoot: codeRoot)
            let stored = try JSONDecoder().decode(StoredRequest.self, from: request)
            let invocation = stored.invocation(runId: run.id, org: run.org, function: run.function, timeoutMs: deployed.timeoutMs)
            run.status = .running
            run.startedAt = Date()
            try await store.saveRuns([run])
            let outcome = await invoker.invoke(invocation, function: deployed)
            try await store.finishRun(outcome.completing(run))
        } catch {
            logger.error("async run could not be executed", metadata: ["run": "\(id)", "error": "\(error)"])
        }
    }

    private func flushPeriodically() async {
        var sincePrune: Duration = .zero
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: Self.flushInterval)
            await flush()
            sincePrune += Self.flushInterval
            if sincePrune >= .seconds(600) {
                sincePrune = .zero
                try? await store.pruneRuns(keepPerOrg: Self.keepPerOrg, before: Date().addingTimeInterval(-Self.keepFor))
            }
        }
    }

    /// Writes the finished runs recorded so far (every `flushInterval`, and before runs are read).
    /// Flushes run one after another: a reader must also wait for a batch that another flush has
    /// taken but not yet written, or the run it asks for could be in neither place.
    func flush() async {
        let write = flushes.withLockedValue { last -> Task<Void, Never> in
            let previous = last
            let next = Task { [self] in
                await previous?.value
                await self.writePending()
            }
            last = next
            return next
        }
        await write.value
    }

    private func writePending() async {
        let (runs, dropped) = pending.withLockedValue { pending in
            defer { pending = Pending() }
            return (pending.runs, pending.dropped)
        }
        if dropped > 0 {
            logger.warning("run records dropped under load", metadata: ["dropped": "\(dropped)"])
        }
        do {
            try await store.saveRuns(runs)
        } catch {
            logger.error("run records could not be saved", metadata: ["count": "\(runs.count)", "error": "\(error)"])
        }
    }
}
