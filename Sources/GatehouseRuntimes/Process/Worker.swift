import Foundation
import GatehouseModel
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// One worker process: started from a `WorkerLaunch`, serving HTTP on its Unix socket, one
/// invocation at a time. What it writes to stdout and stderr is gathered continuously (a
/// worker that logs a lot never blocks on a full pipe) and handed to the invocation it belongs to.
final class Worker: Sendable {
    let id: Int
    private let process: Process
    private let directory: URL
    private let connection: WorkerConnection
    private let output: WorkerOutput
    /// When it last finished an invocation, for the idle reaper.
    let lastUsed = NIOLockedValueBox(ContinuousClock.now)

    private init(id: Int, process: Process, directory: URL, connection: WorkerConnection, output: WorkerOutput) {
        self.id = id
        self.process = process
        self.directory = directory
        self.connection = connection
        self.output = output
    }

    /// Starts the process and waits until its socket accepts a connection (or `deadline`).
    static func start(_ launch: WorkerLaunch, id: Int, group: any EventLoopGroup, deadline: ContinuousClock.Instant) async throws -> Worker {
        let directory = try launch.makePrivateDirectory(id: id)
        let process = Process()
        let (executable, arguments) = launch.command(privateDirectory: directory)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = launch.environment(privateDirectory: directory)
        process.currentDirectoryURL = launch.workingDirectory
        process.standardInput = FileHandle.nullDevice
        let output = WorkerOutput()
        process.standardOutput = output.pipe
        process.standardError = output.pipe
        do {
            try process.run()
        } catch {
            output.close()
            WorkRoot.remove(directory)
            throw RuntimeError.system("the worker could not be started: \(error)")
        }
        // The parent's copy of the write end must go, or the pipe never reaches end of file.
        try? output.pipe.fileHandleForWriting.close()
        do {
            let connection = try await WorkerConnection.connect(
                candidates: { launch.socketCandidates(privateDirectory: directory, pid: process.processIdentifier) }, group: group,
                deadline: min(deadline, .now + .seconds(30)), stillStarting: { process.isRunning })
            return Worker(id: id, process: process, directory: directory, connection: connection, output: output)
        } catch {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            await Self.reaped(process)
            let logs = output.take()
            output.close()
            WorkRoot.remove(directory)
            if ContinuousClock.now >= deadline { throw RuntimeError.timeout(logs: logs) }
            throw RuntimeError.functionFailed(
                "the worker exited before it was ready (status \(process.terminationStatus))", logs: logs)
        }
    }

    var isAlive: Bool { process.isRunning && connection.isActive }

    private let cpuChecked = NIOLockedValueBox(ContinuousClock.now)

    /// Whether one of the worker's processes has used half of its CPU-time limit (read at most
    /// once a second): such a worker is replaced before RLIMIT_CPU kills it during a request.
    func isNearCPULimit(seconds limit: Int) -> Bool {
        let due = cpuChecked.withLockedValue { last in
            guard ContinuousClock.now - last >= .seconds(1) else { return false }
            last = .now
            return true
        }
        return due && WorkerCPU.maxSeconds(tree: process.processIdentifier) >= Double(limit) / 2
    }

    /// One invocation; the logs are what the worker wrote since the previous one ended.
    func invoke(_ head: HTTPRequestHead, body: [UInt8], maxBodyBytes: Int) async throws -> (HTTPResponseHead, [UInt8], [UInt8]) {
        let (responseHead, responseBody) = try await connection.exchange(head, body: body, maxBodyBytes: maxBodyBytes)
        return (responseHead, responseBody, output.take())
    }

    /// What the worker wrote since the last take (after a failure: what it said before it).
    func takeLogs() -> [UInt8] { output.take() }

    /// Stops the worker at once (a timed-out invocation's work must really stop) and removes
    /// its private directory (socket, secrets, temp files).
    func stop() {
        connection.close()
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        let (process, directory, output) = (self.process, self.directory, self.output)
        Task {
            await Self.reaped(process)
            output.close()
            WorkRoot.remove(directory)
        }
    }

    /// Waits (up to 5 s) for a killed process to be reaped. Not `waitUntilExit()`, which blocks
    /// a thread and was seen to hang on Linux: a stopped worker must never hold a thread.
    private static func reaped(_ process: Process) async {
        for _ in 0..<500 where process.isRunning {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}
