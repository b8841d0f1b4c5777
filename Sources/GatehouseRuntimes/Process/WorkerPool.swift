import Foundation
import NIOCore

/// One function definition's workers: started on demand (from zero), at most `maxInstances`,
/// one invocation each at a time; callers wait (until their deadline) when all are busy; idle
/// workers stop after `idleSeconds`; a worker that died or misbehaved, or has used half of its
/// CPU-time limit, is dropped and a new one started for the next caller.
actor WorkerPool {
    private let launch: WorkerLaunch
    private let group: any EventLoopGroup
    private let maxInstances: Int
    private let idleTimeout: Duration
    private var idle: [Worker] = []
    private var total = 0
    private var nextID = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private var nextWaiter = 0
    private var reaper: Task<Void, Never>?
    private var closed = false

    init(launch: WorkerLaunch, group: any EventLoopGroup) {
        self.launch = launch
        self.group = group
        self.maxInstances = launch.process.effectiveMaxInstances
        self.idleTimeout = .seconds(launch.process.effectiveIdleSeconds)
    }

    /// A ready worker for one invocation; give it back with `release`.
    func acquire(deadline: ContinuousClock.Instant) async throws(RuntimeError) -> Worker {
        while true {
            guard !closed else { throw .notReady("the function's workers are being replaced") }
            while let worker = idle.popLast() {
                if worker.isAlive { return worker }
                discard(worker)
            }
            if total < maxInstances {
                total += 1
                nextID += 1
                let id = nextID
                do {
                    let worker = try await Worker.start(launch, id: id, group: group, deadline: deadline)
                    startReaper()
                    return worker
                } catch {
                    total -= 1
                    wakeOne()
                    throw error as? RuntimeError ?? .system("\(error)")
                }
            }
            guard ContinuousClock.now < deadline else {
                throw .timeout(logs: Array("all \(maxInstances) workers stayed busy until the deadline\n".utf8))
            }
            await wait(until: deadline)
        }
    }

    /// Returns a worker after an invocation; `healthy: false` stops it (it timed out, crashed,
    /// or answered garbage) and frees its place for a new one.
    func release(_ worker: Worker, healthy: Bool) {
        worker.lastUsed.withLockedValue { $0 = .now }
        if healthy && worker.isAlive && !closed && !worker.isNearCPULimit(seconds: launch.process.effectiveCPUSeconds) {
            idle.append(worker)
        } else {
            discard(worker)
        }
        wakeOne()
    }

    func close() {
        closed = true
        reaper?.cancel()
        for worker in idle { discard(worker) }
        idle = []
        for waiter in waiters { waiter.continuation.resume() }
        waiters = []
    }

    var counts: (total: Int, idle: Int) { (total, idle.count) }

    private func discard(_ worker: Worker) {
        worker.stop()
        total -= 1
    }

    private func wait(until deadline: ContinuousClock.Instant) async {
        nextWaiter += 1
        let id = nextWaiter
        await withCheckedContinuation { continuation in
            waiters.append((id, continuation))
            Task { [weak self] in
                try? await Task.sleep(until: deadline, clock: .continuous)
                await self?.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume()
    }

    private func wakeOne() {
        guard !waiters.isEmpty else { return }
        waiters.removeFirst().continuation.resume()
    }

    private func startReaper() {
        guard reaper == nil else { return }
        let interval = min(idleTimeout, .seconds(1))
        reaper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                await self?.reapIdle()
            }
        }
    }

    private func reapIdle() {
        let now = ContinuousClock.now
        let (stale, fresh) = idle.reduce(into: ([Worker](), [Worker]())) { parts, worker in
            if now - worker.lastUsed.withLockedValue({ $0 }) >= idleTimeout { parts.0.append(worker) } else { parts.1.append(worker) }
        }
        idle = fresh
        for worker in stale { discard(worker) }
    }
}
